/**
 * @module `@workfront-oauth/test-kit`: what the repository's tests share (private). Web-standard only, so
 * that tests inside workerd use it too; `@workfront-oauth/test-kit/node` has what needs Node.
 */
export type { Browser, Send } from './browser.ts'
export { createBrowser } from './browser.ts'
export { eventually } from './eventually.ts'
export type { MockAppLike, MockLike, OverMock } from './over-mock.ts'
export { overMock } from './over-mock.ts'
