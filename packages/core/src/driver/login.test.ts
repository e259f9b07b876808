import { describe, expect, it } from 'vitest'
import { sha256 } from '../encoding.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { failure } from '../test/failure.ts'
import { parts } from '../test/parts.ts'
import { createFakeClock } from '../testing.ts'
import { createLogin, toCallbackParams } from './login.ts'

function setup() {
  const clock = createFakeClock()
  const inner = memoryStore({ clock })
  const calls = { get: 0, take: 0 }
  const store: StoragePort = {
    ...inner,
    get: (key) => {
      calls.get++
      return inner.get(key)
    },
    take: (key) => {
      calls.take++
      return inner.take(key)
    },
  }
  const p = parts({ clock, store })
  const login = createLogin(p)
  const callback = (state: string, extra: Record<string, string> = {}) =>
    new URLSearchParams({ code: p.endpoint.issueCode(), state, ...extra })
  return { ...p, inner, calls, login, callback }
}

describe('toCallbackParams', () => {
  it('reads every callback parameter, and treats one given twice as absent', () => {
    const search = new URLSearchParams('code=c&state=s&domain=acme&lane=my&error=e&error_description=d')
    expect(toCallbackParams(search)).toEqual({
      code: 'c',
      state: 's',
      domain: 'acme',
      lane: 'my',
      error: 'e',
      errorDescription: 'd',
    })
    expect(toCallbackParams(new URL(`https://app.example.com/cb?${search}&state=t`)).state).toBeNull()
    const params = toCallbackParams(search)
    expect(toCallbackParams(params)).toBe(params)
  })
})

describe('login', () => {
  it('saves the transaction under its state with the hash of the browser binding, never the nonce', async () => {
    const s = setup()
    const { url, state } = await s.login.startLogin({ returnTo: '/projects', browserBinding: 'nonce-1' })
    expect(new URL(url).searchParams.get('state')).toBe(state)
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const raw = (await s.inner.get(`tx:${state}`)) ?? ''
    expect(raw).not.toContain('nonce-1')
    expect(JSON.parse(raw)).toMatchObject({ returnTo: '/projects', browserBinding: await sha256('nonce-1') })
  })

  it('completes the callback: exchanges the code and stores a grant', async () => {
    const s = setup()
    const { state } = await s.login.startLogin({ returnTo: '/projects' })
    const { grant, returnTo } = await s.login.handleCallback(s.callback(state))
    expect(returnTo).toBe('/projects')
    expect(await s.records.loadGrant(grant.id)).not.toBeNull()
    expect(await s.inner.get(`tx:${state}`)).toBeNull()
  })

  it('looks before taking: a callback from another browser leaves the sign-in for the real user', async () => {
    const s = setup()
    const { state } = await s.login.startLogin({ browserBinding: 'mine' })
    const error = await failure(s.login.handleCallback(s.callback(state), { browserBinding: 'theirs' }))
    expect(error.code).toBe('browser_mismatch')
    expect(s.calls.take).toBe(0)
    expect(s.endpoint.counters.code).toBe(0)
    await s.login.handleCallback(s.callback(state), { browserBinding: 'mine' })
    expect(s.calls.take).toBe(1)
  })

  it('does not look up states that cannot be ours', async () => {
    const s = setup()
    const error = await failure(s.login.handleCallback(s.callback('x'.repeat(257))))
    expect(error.code).toBe('state_mismatch')
    expect(s.calls.get + s.calls.take).toBe(0)
  })

  it('refuses a tenant on a fixed-tenant app as bad input', async () => {
    const s = setup()
    expect((await failure(s.login.startLogin({ tenant: 'other' }))).code).toBe('invalid_tenant')
    expect(s.calls.get).toBe(0)
  })
})
