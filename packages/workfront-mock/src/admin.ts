import { type Context, Hono } from 'hono'
import { bodyText } from './io'
import type { WorkfrontMock } from './types'

/**
 * The knobs over HTTP, for a mock running in another process (the Node entry, a browser test).
 * Every POST must be `Content-Type: application/json`: a cross-site page cannot send that without a CORS
 * preflight, which this app never answers, so a browser cannot be tricked into turning the knobs.
 */
export function adminApp(mock: Omit<WorkfrontMock, 'app' | 'fetch'>): Hono {
  const admin = new Hono()

  async function body(c: Context): Promise<Record<string, unknown>> {
    const text = await bodyText(c.req.raw)
    if (text.trim() === '') return {}
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TypeError('the body must be a JSON object')
    }
    return value as Record<string, unknown>
  }

  const knob =
    (run: (input: Record<string, unknown>) => unknown) =>
    async (c: Context): Promise<Response> => {
      const type = (c.req.header('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase()
      if (type !== 'application/json') return c.json({ error: 'Content-Type must be application/json' }, 415)
      try {
        const result = run(await body(c))
        return c.json(result ?? { ok: true })
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) {
          return c.json({ error: error.message }, 400)
        }
        throw error
      }
    }

  const number = (input: Record<string, unknown>, name: string): number => {
    const value = input[name]
    if (typeof value !== 'number') throw new TypeError(`${name} must be a number`)
    return value
  }

  admin.get('/clock', (c) => c.json({ now: mock.clock.now() }))
  admin.post(
    '/clock/advance',
    knob((input) => {
      mock.clock.advance(number(input, 'ms'))
      return { now: mock.clock.now() }
    }),
  )
  admin.post(
    '/clock/set',
    knob((input) => {
      mock.clock.set(number(input, 'ms'))
      return { now: mock.clock.now() }
    }),
  )
  admin.post(
    '/sessions/expire',
    knob(() => mock.expireAllSessions()),
  )
  admin.post(
    '/latency',
    knob((input) => mock.setLatency(input)),
  )
  admin.post(
    '/failures',
    knob((input) => mock.injectFailure(input as never)),
  )
  admin.get('/counters', (c) => c.json(mock.counters()))
  admin.post(
    '/counters/reset',
    knob(() => mock.resetCounters()),
  )
  admin.post(
    '/grants',
    knob((input) => {
      const { clientId, username } = input
      if (typeof clientId !== 'string' || typeof username !== 'string') {
        throw new TypeError('clientId and username must be strings')
      }
      return mock.issueGrant({ clientId, username })
    }),
  )
  admin.post(
    '/users',
    knob((input) => {
      const { username, name, email } = input
      if (typeof username !== 'string') throw new TypeError('username must be a string')
      if (name !== undefined && typeof name !== 'string') throw new TypeError('name must be a string')
      if (email !== undefined && typeof email !== 'string') throw new TypeError('email must be a string')
      mock.updateUser({
        username,
        ...(name === undefined ? {} : { name }),
        ...(email === undefined ? {} : { email }),
      })
    }),
  )
  admin.post(
    '/reset',
    knob(() => mock.reset()),
  )
  return admin
}
