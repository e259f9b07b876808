/**
 * The names this package emits: span names, attribute keys and metric instruments. OpenTelemetry's
 * semantic conventions are used where one exists (`error.type`, `server.address`, the HTTP client span
 * attributes); the rest live under `workfront_oauth.*`, the library's own namespace, as the conventions ask
 * of instrumentation-specific names. Durations are histograms in seconds (`s`), counts are counters with a
 * `{unit}` annotation and no `_total` suffix.
 * @see https://opentelemetry.io/docs/specs/semconv/general/naming/
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 */

/** Attribute keys. */
export const Attr = {
  /** Semantic conventions: the error code (`client_rejected`, `refresh_timeout`, …) of a failure. */
  ErrorType: 'error.type',
  /** Semantic conventions: the host of the Workfront org (`acme.my.workfront.com`). */
  ServerAddress: 'server.address',
  ServerPort: 'server.port',
  HTTPMethod: 'http.request.method',
  HTTPStatus: 'http.response.status_code',
  HTTPResendCount: 'http.request.resend_count',
  URLFull: 'url.full',
  URLTemplate: 'url.template',
  /** `login`, `callback`, `access_token`, `api_call`, `logout`, `session`. */
  Operation: 'workfront_oauth.operation',
  /** `authorization_code` or `jwt`. */
  Flow: 'workfront_oauth.flow',
  /** The tenant's host: the org whose session it is. */
  TenantHost: 'workfront_oauth.tenant.host',
  /** `authorization_code`, `refresh_token`, `jwt_exchange`. */
  GrantType: 'workfront_oauth.grant_type',
  /** `done`, `joined`, `failed`. */
  RefreshOutcome: 'workfront_oauth.refresh.outcome',
  /** `acquired`, `waited`, `timeout`. */
  LockOutcome: 'workfront_oauth.lock.outcome',
  /** How long the run waited for the refresh lock, in milliseconds. */
  LockWaitMs: 'workfront_oauth.lock.wait_ms',
  /** `grant.read`, `grant.write`, … (spans); the `StoragePort` method (metrics). */
  StoreOperation: 'workfront_oauth.store.operation',
  /** `written` or `conflict` of a grant write. */
  StoreOutcome: 'workfront_oauth.store.outcome',
  /** `hit` or `miss`. */
  NearCacheResult: 'workfront_oauth.near_cache.result',
  /** `success` or `failure`. */
  Outcome: 'workfront_oauth.outcome',
  /** Why a grant was lost. */
  GrantLossReason: 'workfront_oauth.grant_loss.reason',
} as const

/** Metric instrument names. */
export const Metric = {
  OperationDuration: 'workfront_oauth.operation.duration',
  SignIns: 'workfront_oauth.sign_ins',
  Refreshes: 'workfront_oauth.refreshes',
  TokenRequests: 'workfront_oauth.token_requests',
  TokenRequestDuration: 'workfront_oauth.token_request.duration',
  LockWaits: 'workfront_oauth.lock.waits',
  LockWaitDuration: 'workfront_oauth.lock.wait.duration',
  StoreOperationDuration: 'workfront_oauth.store.operation.duration',
  StoreErrors: 'workfront_oauth.store.errors',
  GrantsLost: 'workfront_oauth.grants_lost',
  NearCacheLookups: 'workfront_oauth.near_cache.lookups',
} as const

/** Span names of the steps that are not HTTP requests. */
export const SpanName = {
  operation: (operation: string): string => `workfront_oauth.${operation}`,
  store: (operation: string): string => `workfront_oauth.store ${operation}`,
  LockWait: 'workfront_oauth.lock.wait',
  NearCache: 'workfront_oauth.near_cache',
} as const

/** Bucket boundaries (seconds) for the latency histograms: 1 ms to 30 s. */
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30,
]
