/**
 * The OAuth app the suite registers with the Workfront mock (mock-only values, not secrets), and the
 * Redis key prefix of everything the suite writes.
 */
export const BENCH_APP = {
  clientId: 'bench-client',
  clientSecret: 'bench-secret-for-the-local-mock-only',
  redirectUri: 'http://127.0.0.1:8787/auth/callback',
} as const

export const APP_ORIGIN = 'http://127.0.0.1:8787'
export const COOKIE_SECRET = 'bench-cookie-secret-for-the-local-mock-only-0123456789'
export const KEY_PREFIX = 'bench:wfo:'
export const BASELINE_PREFIX = 'bench:baseline:'
export const API_VERSION = 'v21.0'
export const TOKEN_PATH = '/integrations/oauth2/api/v1/token'
