/** The types of `hang-guard.js` (see there). */
export declare const HANG_GUARD: { readonly testTimeout: number; readonly hookTimeout: number }
export declare const ACTION_GUARD_MS: number
