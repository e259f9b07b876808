/**
 * The absolute URL of a request that a server received as a request target (`/auth/callback?code=…`), as
 * Node, Express, Fastify and Koa give it. The web handler needs an absolute URL (the callback is read from
 * it, `returnTo` is resolved against the app), and the host it names must be the app's own: it comes from
 * the configured origin, or from a `Host` header only when the app says the header is trustworthy (a proxy
 * that sets it). Framework-free, so that every Node binding builds it the same way.
 */
import { WorkfrontOAuthError } from '../errors.ts'

/** Options of `absoluteRequestURL()`. */
export interface RequestTargetOptions {
  /** The app's public origin (`https://app.example.com`): scheme, host and port of the URL. */
  origin: string
  /**
   * The request's `Host` header, when the app trusts it (a proxy in front sets it): it replaces the origin's
   * host and port, the scheme staying the origin's. Checked: anything that is not `host[:port]` is refused.
   */
  host?: string | null
}

/** `name[:port]` or `[IPv6][:port]`: DNS names, IPv4 and bracketed IPv6 literals, a port of 1–5 digits. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * The absolute URL of a request target at the app's origin: the origin form (`/path?query`, RFC 9112 §3.2.1)
 * as it is, and the absolute form (`http://host/path`, §3.2.2, which proxies send) by its path and query
 * only, so a client never picks the host through the target. Anything else (`*`, `example.com:443`, a target
 * that is not a path) is a `bad_request` (400), as is a trusted `Host` that is not `host[:port]`.
 */
export function absoluteRequestURL(target: string, options: RequestTargetOptions): URL {
  const url = new URL(options.origin)
  if (options.host !== undefined && options.host !== null) {
    if (!HOST.test(options.host) || !URL.canParse(`${url.protocol}//${options.host}`)) {
      throw new WorkfrontOAuthError('bad_request', 'The Host header is not a host name with an optional port')
    }
    url.host = new URL(`${url.protocol}//${options.host}`).host
  }
  let path = target
  if (!path.startsWith('/')) {
    const absolute = /^https?:\/\//i.test(path) && URL.canParse(path) ? new URL(path) : null
    if (absolute === null) {
      throw new WorkfrontOAuthError('bad_request', 'The request target is not a path (origin form)')
    }
    path = `${absolute.pathname}${absolute.search}`
  }
  const query = path.indexOf('?')
  // Set as parts, never parsed against the origin: `//evil.example/x` is a path here, not another host.
  url.pathname = query < 0 ? path : path.slice(0, query)
  url.search = query < 0 ? '' : path.slice(query)
  return url
}
