/** The environment contract's variable names (see the README). */

/** What the Worker reads. */
export const WORKER_VARIABLES = [
  'PUBLIC_URL',
  'WORKFRONT_BASE_URL',
  'WORKFRONT_MOCK',
  'WORKFRONT_MULTI_TENANT',
  'WORKFRONT_CLIENT_ID',
  'WORKFRONT_CLIENT_SECRET',
  'WORKFRONT_CLIENT_AUTH',
  'WORKFRONT_API_VERSION',
  'REDIS_URL',
  'SESSION_STORE',
  'SESSION_SECRET',
  'TOKEN_ENCRYPTION_KEY',
  'TOKEN_ENCRYPTION_RETIRED_KEY_IDS',
  'WORKFRONT_OAUTH_OTEL',
] as const

/** What only the Node entry reads, besides the Worker's: where it listens, and which proxies it trusts. */
export const NODE_ONLY_VARIABLES = ['PORT', 'HOST', 'TRUST_PROXY'] as const
