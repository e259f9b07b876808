import type { MockCounters, MockFailure, MockLatency } from './types'

interface ArmedFailure {
  endpoint: MockFailure['endpoint']
  kind: MockFailure['kind']
  grantType: MockFailure['grantType']
  retryAfter: number
  remaining: number
}

function emptyCounters(): MockCounters {
  return {
    tokenCalls: { authorization_code: 0, refresh_token: 0, other: 0 },
    jwtExchanges: { calls: 0, succeeded: 0 },
    refreshReuses: 0,
    codeReuses: 0,
    apiCalls: {},
  }
}

function checkLatency(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isFinite(value) || value < 0 || value > 600_000)) {
    throw new RangeError(`latency.${name} must be between 0 and 600000 ms`)
  }
}

/**
 * The mock's test controls, kept apart from its OAuth state: the latency it adds to each endpoint, the
 * failures armed to be injected, and the counters of what reached it.
 */
export function createControls() {
  let counters = emptyCounters()
  let latency: Required<MockLatency> = { token: 0, jwt: 0, api: 0, authorize: 0 }
  let failures: ArmedFailure[] = []

  return {
    latency(): Readonly<Required<MockLatency>> {
      return latency
    },

    setLatency(next: MockLatency): void {
      checkLatency('token', next.token)
      checkLatency('jwt', next.jwt)
      checkLatency('api', next.api)
      checkLatency('authorize', next.authorize)
      latency = {
        token: next.token ?? latency.token,
        jwt: next.jwt ?? latency.jwt,
        api: next.api ?? latency.api,
        authorize: next.authorize ?? latency.authorize,
      }
    },

    injectFailure(failure: MockFailure): void {
      const times = failure.times ?? 1
      if (!Number.isInteger(times) || times < 1)
        throw new RangeError('injectFailure: times must be an integer >= 1')
      if (!['token', 'jwt', 'api'].includes(failure.endpoint)) {
        throw new TypeError('injectFailure: endpoint must be token, jwt or api')
      }
      if (!['status500', 'status429', 'reset', 'dropAfterRotate'].includes(failure.kind)) {
        throw new TypeError('injectFailure: kind must be status500, status429, reset or dropAfterRotate')
      }
      if (failure.kind === 'status429' && failure.endpoint !== 'api') {
        throw new TypeError('injectFailure: status429 applies to the API only')
      }
      const retryAfter = failure.retryAfter ?? 1
      if (!Number.isInteger(retryAfter) || retryAfter < 0 || retryAfter > 86_400) {
        throw new RangeError('injectFailure: retryAfter must be whole seconds from 0 to 86400')
      }
      if (failure.kind === 'dropAfterRotate' && failure.endpoint !== 'token') {
        throw new TypeError('injectFailure: dropAfterRotate applies to the token endpoint only')
      }
      if (failure.grantType !== undefined && failure.endpoint !== 'token') {
        throw new TypeError('injectFailure: grantType applies to the token endpoint only')
      }
      if (
        failure.grantType !== undefined &&
        !['authorization_code', 'refresh_token'].includes(failure.grantType)
      ) {
        throw new TypeError('injectFailure: grantType must be authorization_code or refresh_token')
      }
      failures.push({
        endpoint: failure.endpoint,
        kind: failure.kind,
        // A drop after rotation can only follow a refresh.
        grantType: failure.kind === 'dropAfterRotate' ? 'refresh_token' : failure.grantType,
        retryAfter,
        remaining: times,
      })
    },

    /** Consumes one armed failure matching the request, if any. */
    takeFailure(
      endpoint: MockFailure['endpoint'],
      kinds: ReadonlyArray<MockFailure['kind']>,
      grantType?: string,
    ): { kind: MockFailure['kind']; retryAfter: number } | undefined {
      const index = failures.findIndex(
        (f) =>
          f.endpoint === endpoint &&
          kinds.includes(f.kind) &&
          (f.grantType === undefined || f.grantType === grantType),
      )
      const failure = failures[index]
      if (!failure) return undefined
      failure.remaining -= 1
      if (failure.remaining === 0) failures.splice(index, 1)
      return { kind: failure.kind, retryAfter: failure.retryAfter }
    },

    counters(): MockCounters {
      return structuredClone(counters)
    },

    countTokenCall(grantType: string | undefined): void {
      if (grantType === 'authorization_code' || grantType === 'refresh_token')
        counters.tokenCalls[grantType] += 1
      else counters.tokenCalls.other += 1
    },

    countJWTExchange(outcome: 'call' | 'success'): void {
      if (outcome === 'call') counters.jwtExchanges.calls += 1
      else counters.jwtExchanges.succeeded += 1
    },

    countApiCall(status: number): void {
      counters.apiCalls[status] = (counters.apiCalls[status] ?? 0) + 1
    },

    resetCounters(): void {
      counters = emptyCounters()
    },

    countCodeReuse(): void {
      counters.codeReuses += 1
    },

    countRefreshReuse(): void {
      counters.refreshReuses += 1
    },

    /** Latency, armed failures and counters as new (the mock's `reset()`). */
    resetControls(): void {
      counters = emptyCounters()
      latency = { token: 0, jwt: 0, api: 0, authorize: 0 }
      failures = []
    },
  }
}
