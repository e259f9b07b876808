/**
 * The Worker, inside workerd, end to end against the Workfront mock it embeds, with its default store:
 * Durable Objects. Every request goes through the Worker's own fetch handler, as wrangler dev or Cloudflare
 * would send it.
 */

import { runInDurableObject } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { objectName } from '@workfront-oauth/cloudflare-store'
import { describe, expect, it } from 'vitest'
import type { Fetch } from './test/browser-like.ts'
import { createBrowserLike, refreshCount, signIn } from './test/browser-like.ts'

const ORIGIN = 'http://127.0.0.1:8787'
const worker: Fetch = (request) => exports.default.fetch(request)

/** What the grant's Durable Object holds under its key (encrypted by the app), read inside the object. */
function storedInObject(grantId: string): Promise<{ value: string; version: number } | null> {
  const key = `grant:${grantId}`
  const namespace = env.WORKFRONT_OAUTH_STORE
  const stub = namespace.get(namespace.idFromName(objectName(key)))
  return runInDurableObject(stub, (_, state) => {
    // An object left empty deletes its storage (tables included) in its alarm.
    const tables = state.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'entries'")
      .one().n
    if (tables === 0) return null
    const row = state.storage.sql
      .exec<{ value: string; version: number }>('SELECT value, version FROM entries WHERE key = ?', key)
      .toArray()[0]
    return row ?? null
  })
}

describe('the demo Worker in workerd', () => {
  it('runs in the Workers runtime', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers')
  })

  it('login → mock pages → callback → projects → expire → refresh visible → logout', async () => {
    const browser = createBrowserLike(worker, ORIGIN)

    const home = await (await browser.request('/')).text()
    expect(home).toContain('Sign in with Workfront</a>')
    expect(home).toContain('<code>demo@acme.test</code>')

    // The mock's login and consent forms are posted to the Worker, under its own origin.
    const callback = await signIn(browser, { mockFetch: worker })
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/')
    expect(browser.jar.has('wf_session')).toBe(true)
    const grantId = (browser.jar.get('wf_session') as string).split('.')[0] as string
    // The grant lives in its Durable Object, encrypted, at version 1.
    expect(await storedInObject(grantId)).toEqual({
      value: expect.stringMatching(/^wfe1\.k[A-Za-z0-9_-]{11}\./),
      version: 1,
    })

    const page = await (await browser.request('/')).text()
    expect(page).toContain('Hello, Dana Demo')
    expect(page).toContain('Website Redesign')
    expect(refreshCount(page)).toBe(0)
    const projects = (await (await browser.request('/api/projects')).json()) as unknown[]
    expect(projects).toHaveLength(12)
    const before = (await (await browser.request('/api/session')).json()) as { obtainedAt: string }
    expect(before).toMatchObject({ signedIn: true, tenantHost: '127.0.0.1:8787', refreshCount: 0 })

    expect((await browser.request('/mock/expire-sessions', { method: 'POST' })).status).toBe(403)
    const expire = await browser.post('/mock/expire-sessions')
    expect(expire.status).toBe(303)

    const refreshed = await (await browser.request(expire.headers.get('location') as string)).text()
    expect(refreshed).toContain('Every Workfront session was expired')
    expect(refreshed).toContain('Website Redesign')
    expect(refreshCount(refreshed)).toBe(1)
    const after = (await (await browser.request('/api/session')).json()) as {
      obtainedAt: string
      refreshCount: number
    }
    expect(after.refreshCount).toBe(1)
    expect(Date.parse(after.obtainedAt)).toBeGreaterThanOrEqual(Date.parse(before.obtainedAt))
    // A second load needs no refresh.
    expect(refreshCount(await (await browser.request('/')).text())).toBe(1)
    // Two writes per refresh: its claim, then the rotated tokens.
    expect((await storedInObject(grantId))?.version).toBe(3)

    // Expired again, 50 requests at once: one refresh, through the grant's object.
    expect((await browser.post('/mock/expire-sessions')).status).toBe(303)
    const responses = await Promise.all(Array.from({ length: 50 }, () => browser.request('/api/projects')))
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect(
      ((await (await browser.request('/api/session')).json()) as { refreshCount: number }).refreshCount,
    ).toBe(2)
    expect((await storedInObject(grantId))?.version).toBe(5)

    const logout = await browser.post('/auth/logout')
    expect(logout.status).toBe(303)
    expect(browser.jar.has('wf_session')).toBe(false)
    expect(await storedInObject(grantId)).toBeNull()
    expect(await (await browser.request('/api/session')).json()).toEqual({ signedIn: false })
    expect((await browser.request('/api/projects', { headers: { accept: 'application/json' } })).status).toBe(
      401,
    )
  })

  it('shows errors as friendly pages', async () => {
    const browser = createBrowserLike(worker, ORIGIN)
    const denied = await signIn(browser, { mockFetch: worker, decision: 'deny' })
    expect(denied.status).toBe(403)
    expect(await denied.text()).toContain('Access was not granted')
    const missing = await browser.request('/nope')
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('Page not found')
  })
})
