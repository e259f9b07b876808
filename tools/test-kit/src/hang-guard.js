/**
 * @module `@workfront-oauth/test-kit/hang-guard`: the vitest options every suite uses. Plain JavaScript that
 * imports nothing, because Node loads it as it is from the `vitest*.config.ts` files.
 */

/**
 * A test or hook that has not finished in 10 minutes hangs. Generous on purpose: a 2-core machine at load 40
 * makes a correct test many times slower, never red. CI allows 90 minutes for the whole suite.
 */
export const HANG_GUARD = Object.freeze({ testTimeout: 10 * 60_000, hookTimeout: 10 * 60_000 })

/**
 * How long one browser action (a navigation, a click, waiting for an element) may take before it hangs:
 * `page.setDefaultTimeout(ACTION_GUARD_MS)`. Two minutes, for a page that answers in milliseconds when idle.
 */
export const ACTION_GUARD_MS = 2 * 60_000
