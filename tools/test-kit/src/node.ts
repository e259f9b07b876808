/** @module `@workfront-oauth/test-kit/node`: the parts of the kit that need Node. */
export {}
