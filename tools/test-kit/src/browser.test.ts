import { describe, expect, it } from 'vitest'
import { createBrowser } from './browser.ts'

describe('createBrowser', () => {
  it('keeps cookies by name, sends them back, deletes on Max-Age=0, and follows no redirect', async () => {
    const seen: Array<string | null> = []
    const browser = createBrowser(
      async (request) => {
        seen.push(request.headers.get('cookie'))
        const headers = new Headers({ location: '/next' })
        const path = new URL(request.url).pathname
        if (path === '/set') {
          headers.append('set-cookie', 'a=1; Path=/; HttpOnly')
          headers.append('set-cookie', 'b=2=3; Path=/; Max-Age=60')
        }
        if (path === '/clear') {
          headers.append('set-cookie', 'a=; Path=/; Max-Age=0')
          headers.append('set-cookie', 'c=3; Path=/; Expires=Thu, 01 Jan 2099 00:00:00 GMT')
        }
        if (path === '/expire')
          headers.append('set-cookie', 'c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT')
        return new Response(null, { status: 302, headers })
      },
      { origin: 'https://app.example.com' },
    )
    const first = await browser.request('/set')
    expect(first.status).toBe(302)
    expect([...browser.jar]).toEqual([
      ['a', '1'],
      ['b', '2=3'],
    ])
    await browser.request('https://app.example.com/clear')
    await browser.request('/again', { headers: { cookie: 'mine=x' } })
    expect(seen).toEqual([null, 'a=1; b=2=3', 'mine=x'])
    expect([...browser.jar]).toEqual([
      ['b', '2=3'],
      ['c', '3'],
    ])
    await browser.request('/expire')
    expect([...browser.jar]).toEqual([['b', '2=3']])
    expect(browser.setCookies).toHaveLength(5)
  })
})
