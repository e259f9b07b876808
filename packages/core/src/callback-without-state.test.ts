/**
 * A callback without `state` (Workfront's page does not list it), end to end against the Workfront mock
 * with `callbackState: 'omit'`, through the web flow's cookies as a browser would carry them.
 */
import { overMock } from '@workfront-oauth/test-kit'
import { createWorkfrontMock, DEMO_USER, DEMO_WEB_APP } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { createWorkfrontOAuth, type WorkfrontOAuthOptions } from './client.ts'
import { memoryStore } from './memory-store.ts'
import { createWebFlow } from './web/flow.ts'
import type { WebResult } from './web/flow-types.ts'

const APP = 'http://127.0.0.1:8787'
const USER = { username: DEMO_USER.username, password: DEMO_USER.password }

function setup(options: Partial<WorkfrontOAuthOptions> = {}) {
  const mock = createWorkfrontMock({ callbackState: 'omit' })
  const oauth = createWorkfrontOAuth({ ...overMock(mock, DEMO_WEB_APP), store: memoryStore(), ...options })
  const web = createWebFlow({ oauth, appOrigin: APP, cookieSecrets: ['x'.repeat(32)] })

  /** A browser: its cookie jar, and the steps it takes. */
  function browser() {
    const jar = new Map<string, string>()
    const keep = (result: WebResult) => {
      for (const c of result.cookies) jar.set(c.name, c.value)
      return result
    }
    const request = (url: string) =>
      new Request(url, { headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    return {
      /** Starts a sign-in; returns the authorize URL. */
      async login(): Promise<string> {
        const result = keep(await web.login(request(`${APP}/auth/login`)))
        if (result.type !== 'redirect') throw result.error
        return result.location
      },
      /** Signs in at Workfront (the mock), and returns where Workfront sends the browser back. */
      authorize: (url: string) => completeAuthorization(mock, url, USER),
      callback: async (url: URL) => keep(await web.callback(request(url.href))),
    }
  }
  return { mock, oauth, browser }
}

describe('a callback without state', () => {
  it('is refused by default, even for the only login of the browser', async () => {
    const { browser, mock } = setup()
    const me = browser()
    const callback = await me.authorize(await me.login())
    expect(callback.searchParams.has('state')).toBe(false)
    const result = await me.callback(callback)
    expect(result).toMatchObject({ type: 'error', status: 400, error: { code: 'state_mismatch' } })
    expect(mock.counters().tokenCalls.authorization_code).toBe(0)
  })

  describe('with allowCallbackWithoutState', () => {
    it('completes the only login in progress of this browser, with PKCE', async () => {
      const { browser, mock } = setup({ allowCallbackWithoutState: true })
      const me = browser()
      const authorize = await me.login()
      expect(new URL(authorize).searchParams.get('code_challenge_method')).toBe('S256')
      const callback = await me.authorize(authorize)
      expect(await me.callback(callback)).toMatchObject({ type: 'redirect', location: '/' })
      expect(mock.counters().tokenCalls.authorization_code).toBe(1)
      // Used up: the same answer again is refused.
      expect(await me.callback(callback)).toMatchObject({ error: { code: 'state_mismatch' } })
    })

    it('refuses it when the browser has two logins in progress: it cannot tell which one answered', async () => {
      const { browser, mock } = setup({ allowCallbackWithoutState: true })
      const me = browser()
      const first = await me.login()
      await me.login() // a second tab
      const result = await me.callback(await me.authorize(first))
      expect(result).toMatchObject({ type: 'error', error: { code: 'state_mismatch' } })
      expect(mock.counters().tokenCalls.authorization_code).toBe(0)
    })

    it('forgets finished logins: after one completes, the next one alone is accepted', async () => {
      const { browser } = setup({ allowCallbackWithoutState: true })
      const me = browser()
      expect(await me.callback(await me.authorize(await me.login()))).toMatchObject({ type: 'redirect' })
      expect(await me.callback(await me.authorize(await me.login()))).toMatchObject({ type: 'redirect' })
    })

    it('refuses it in a browser without the login cookie (another browser)', async () => {
      const { browser } = setup({ allowCallbackWithoutState: true })
      const callback = await browser().authorize(await browser().login())
      const stranger = browser()
      expect(await stranger.callback(callback)).toMatchObject({ error: { code: 'state_mismatch' } })
    })

    it('login CSRF: an attacker’s callback lands on the victim’s one login, and PKCE makes it fail', async () => {
      const { browser, mock } = setup({ allowCallbackWithoutState: true })
      // The attacker signs in to Workfront with their own account, in their own browser, and keeps the
      // callback URL (code, domain, lane — no state) instead of following it.
      const attacker = browser()
      const planted = await attacker.authorize(await attacker.login())
      // The victim has just started signing in; the attacker's page sends the victim's browser to the
      // planted callback. The victim's one login is found, but its PKCE verifier is not the attacker's.
      const victim = browser()
      await victim.login()
      const result = await victim.callback(planted)
      expect(result).toMatchObject({ type: 'error', status: 400, error: { code: 'code_rejected' } })
      expect(mock.counters().tokenCalls.authorization_code).toBe(1)
      expect(result.cookies).toEqual([])
    })

    it('cannot be combined with pkce: false', () => {
      expect(() => setup({ allowCallbackWithoutState: true, pkce: false })).toThrow(
        expect.objectContaining({ code: 'invalid_options' }),
      )
    })

    it('a callback with a state is handled as ever', async () => {
      const { oauth, mock } = setup({ allowCallbackWithoutState: true })
      const { url, state } = await oauth.startLogin()
      const callback = await completeAuthorization(mock, url, USER)
      callback.searchParams.set('state', state)
      await expect(oauth.handleCallback(callback)).resolves.toMatchObject({ returnTo: '/' })
    })
  })
})
