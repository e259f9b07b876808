import { Hono, type MiddlewareHandler } from 'hono'
import { adminApp } from './admin'
import { registerAPI } from './api'
import { registerAuthorize } from './authorize'
import { createControllableClock } from './clock'
import { resolveConfig } from './config'
import { createEngine } from './engine'
import { isMockConnectionReset } from './io'
import { JWT_EXCHANGE_PATH, jwtHandler } from './jwt'
import { createReplayGuard } from './replay'
import { tokenHandler } from './token'
import type { TokenResponse, WorkfrontMock, WorkfrontMockOptions } from './types'

/** Workfront's token endpoint path, served by the mock. */
export const TOKEN_PATH = '/integrations/oauth2/api/v1/token'
export { JWT_EXCHANGE_PATH }

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/

/**
 * A Workfront tenant in memory: the OAuth2 authorize and token endpoints, and the first slice of the API.
 * It is strict where Workfront is strict, so a client that passes against it has met Workfront's rules.
 *
 * @example
 * const mock = createWorkfrontMock({ autoConsent: { username: 'demo@acme.test' } })
 * const res = await mock.fetch(new Request('https://acme.my.workfront.com/attask/api/v21.0/session'))
 */
export function createWorkfrontMock(options: WorkfrontMockOptions = {}): WorkfrontMock {
  const config = resolveConfig(options)
  const baseClock = options.clock ?? { now: () => Date.now() }
  const clock = createControllableClock(baseClock)
  const engine = createEngine(config, clock)
  const replays = createReplayGuard()
  /** The users as configured, for `reset()` after `updateUser`. */
  const configuredUsers = config.users.map((user) => ({ ...user }))

  const knobs: Omit<WorkfrontMock, 'app' | 'fetch'> = {
    host: config.host,
    clock,
    expireAllSessions: () => engine.expireAllSessions(),
    setLatency: (latency) => engine.setLatency(latency),
    injectFailure: (failure) => engine.injectFailure(failure),
    counters: () => engine.counters(),
    resetCounters: () => engine.resetCounters(),
    issueGrant({ clientId, username }): TokenResponse {
      const app = config.apps.get(clientId)
      if (!app) throw new TypeError(`issueGrant: unknown client ${clientId}`)
      const user = config.usersByUsername.get(username)
      if (!user) throw new TypeError(`issueGrant: unknown user ${username}`)
      return engine.createGrant(app.clientId, user.id)
    },
    updateUser({ username, name, email }) {
      const user = config.usersByUsername.get(username)
      if (!user) throw new TypeError(`updateUser: unknown user ${username}`)
      for (const [field, value] of [
        ['name', name],
        ['email', email],
      ] as const) {
        if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
          throw new TypeError(`updateUser: ${field} must be a non-empty string`)
        }
      }
      if (name !== undefined) user.name = name
      if (email !== undefined) user.email = email
    },
    reset() {
      for (const [i, user] of config.users.entries()) Object.assign(user, configuredUsers[i])
      engine.reset()
      replays.reset()
      clock.set(baseClock.now())
    },
  }

  const app = new Hono()
  app.onError((error, c) => {
    // A simulated dropped connection must reach the caller as a rejection, not as a 500.
    if (isMockConnectionReset(error)) throw error
    console.error('workfront-mock: unexpected error', error)
    return c.json({ error: 'Internal error in the Workfront mock' }, 500)
  })
  // Workfront answers for its own host only: a request addressed to another tenant or family must fail
  // here, or a client that builds the wrong host would pass. 421 Misdirected Request (RFC 9110 §15.5.20)
  // is the mock's choice; Workfront's answer to a wrong host is a different server altogether.
  // Only Workfront's own paths: a host app that mounts `mock.app` keeps its other routes to itself.
  const checkHost: MiddlewareHandler = async (c, next) => {
    const host = new URL(c.req.url).host
    if (config.hosts.has(host) || LOOPBACK.test(host)) return next()
    return c.json(
      { error: { class: 'MisdirectedRequest', message: `This Workfront is ${config.host}, not ${host}` } },
      421,
    )
  }
  app.use('/integrations/oauth2/*', checkHost)
  app.use('/attask/*', checkHost)
  registerAuthorize(app, config, engine)
  app.all(TOKEN_PATH, tokenHandler(config, engine))
  app.all(JWT_EXCHANGE_PATH, jwtHandler(config, engine, replays))
  registerAPI(app, config, engine)
  if (config.adminPath !== undefined) app.route(config.adminPath, adminApp(knobs))

  return {
    ...knobs,
    app,
    fetch: async (request) => app.fetch(request),
  }
}
