import { Hono } from 'hono'
import { adminApp } from './admin'
import { registerAPI } from './api'
import { registerAuthorize } from './authorize'
import { createControllableClock } from './clock'
import { resolveConfig } from './config'
import { createEngine } from './engine'
import { isMockConnectionReset } from './io'
import { tokenHandler } from './token'
import type { TokenResponse, WorkfrontMock, WorkfrontMockOptions } from './types'

export const TOKEN_PATH = '/integrations/oauth2/api/v1/token'

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
    reset() {
      engine.reset()
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
  registerAuthorize(app, config, engine)
  app.all(TOKEN_PATH, tokenHandler(config, engine))
  registerAPI(app, config, engine)
  if (config.adminPath !== undefined) app.route(config.adminPath, adminApp(knobs))

  return {
    ...knobs,
    app,
    fetch: async (request) => app.fetch(request),
  }
}
