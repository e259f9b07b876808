import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'

const mock = createWorkfrontMock()

mock.clock.now() // the mock's time: the base clock plus the offset the knobs add
mock.clock.advance(60_000) // or mock.clock.set(ms)
mock.expireAllSessions() // every API session ends; refresh tokens stay valid
mock.setLatency({ token: 200, jwt: 200, api: 50, authorize: 0 }) // ms, real timers
mock.injectFailure({ endpoint: 'token', kind: 'reset', times: 1, grantType: 'refresh_token' })
mock.injectFailure({ endpoint: 'jwt', kind: 'status500' }) // the JWT exchange: status500 or reset
mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 7 }) // 429 with Retry-After: 7
mock.counters() // { tokenCalls: { authorization_code, refresh_token, other }, jwtExchanges: { calls, succeeded }, refreshReuses, codeReuses, apiCalls: { '200': n, ... } }
mock.resetCounters()
mock.issueGrant({ clientId: 'demo-client', username: 'demo@acme.test' }) // TokenResponse, as if the flow completed
mock.updateUser({ username: 'demo@acme.test', name: 'Dana Renamed', email: 'dana@new.test' }) // as an admin would
mock.reset() // forget codes, grants, sessions, exchanged JWTs, knobs, counters, user changes and the clock offset
