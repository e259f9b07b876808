/**
 * A browser as far as cookies go: keeps them by name (what `Set-Cookie` says; `Max-Age=0` or an `Expires`
 * in the past deletes), sends them back, and follows nothing by itself, so a test sees every redirect. It talks to anything that takes a
 * `Request`: a Web handler, a framework's `app.request`, or `fetch` to a real server on loopback.
 */

/** Sends a request somewhere and answers its response. */
export type Send = (request: Request) => Promise<Response>

export interface Browser {
  /** Cookie name → value, as the browser holds them now. */
  readonly jar: Map<string, string>
  /** Every `Set-Cookie` line received, in order. */
  readonly setCookies: string[]
  /**
   * Requests `path` (relative to the origin, or absolute) with the held cookies, and keeps what the response
   * sets. Redirects are not followed.
   */
  request(path: string, init?: RequestInit): Promise<Response>
  /** The `Cookie` header the browser sends now (empty without cookies). */
  cookieHeader(): string
}

/** Whether a `Set-Cookie` line removes its cookie: `Max-Age` of 0 or less, or an `Expires` already past. */
function expired(line: string): boolean {
  if (/;\s*Max-Age=(0|-\d+)\s*(;|$)/i.test(line)) return true
  const expires = /;\s*Expires=([^;]+)/i.exec(line)?.[1]
  return expires !== undefined && Date.parse(expires) <= Date.now()
}

export function createBrowser(send: Send, options: { origin: string }): Browser {
  const jar = new Map<string, string>()
  const setCookies: string[] = []
  const cookieHeader = (): string => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
  return {
    jar,
    setCookies,
    cookieHeader,
    async request(path, init = {}) {
      const headers = new Headers(init.headers)
      if (jar.size > 0 && !headers.has('cookie')) headers.set('cookie', cookieHeader())
      const url = /^https?:/.test(path) ? path : `${options.origin}${path}`
      const response = await send(new Request(url, { ...init, headers, redirect: 'manual' }))
      for (const line of response.headers.getSetCookie()) {
        setCookies.push(line)
        const pair = line.split(';', 1)[0] as string
        const index = pair.indexOf('=')
        const name = pair.slice(0, index).trim()
        if (expired(line)) jar.delete(name)
        else jar.set(name, pair.slice(index + 1).trim())
      }
      return response
    },
  }
}
