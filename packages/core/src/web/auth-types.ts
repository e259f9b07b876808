/**
 * The types of the web auth (`createWebAuth()` in `auth.ts`): its options, the session and guard a protected
 * route gets, and the `WebAuth` a binding serves.
 */
import type { WorkfrontClient } from '../api.ts'
import type { WorkfrontOAuth } from '../client.ts'
import type { GrantInfo } from '../driver/records.ts'
import type { WorkfrontOAuthError } from '../errors.ts'
import type { WorkfrontUser } from '../machine.ts'
import type { Logger } from '../ports.ts'
import type { CookieAttributes, CookieInstruction, HeadersInput } from './cookies.ts'
import type { RequestContext, WebFlow, WebFlowOptions, WebResult } from './flow-types.ts'
import type { ErrorPageContext } from './pages.ts'
import type { WebRequest } from './request.ts'

/** Options of `createWebAuth()`: the web flow's, and where its routes live and how errors look. */
export interface WebAuthOptions extends WebFlowOptions {
  /** Where the routes are mounted: `<basePath>/login`, `/callback`, `/logout`. Default `/auth`. */
  basePath?: string
  /**
   * Where the error pages' "Sign in again" button leads. Default: the login route. Multi-tenant apps whose
   * users name their org on a page of their own point it there (e.g. `/`).
   */
  signInUrl?: string
  /**
   * Renders an error for people. Default: a small HTML page for browsers and `{ error: { code, message } }`
   * JSON for other clients. The handler adds `Cache-Control: no-store`, `Retry-After` and the cookies.
   */
  renderError?: (error: WorkfrontOAuthError, page: ErrorPageContext) => Response | Promise<Response>
  /** Where unexpected failures (`internal_error`, with their cause) are reported. Default `console`. */
  logger?: Logger
}

/** What a binding knows about a request (see `RequestContext`), and how to keep work going after it. */
export interface HandlerContext extends RequestContext {
  /**
   * Keeps a promise alive after the response is sent: Workers' `ctx.waitUntil`. Rotated tokens that the
   * store refused are written in the background, and an isolate may otherwise be stopped before that.
   */
  waitUntil?: (promise: Promise<unknown>) => void
}

/** Who is signed in on a request, and their Workfront API client. */
export interface Session {
  /** The grant the browser's session points to. A secret of the browser's: never show or log it. */
  grantId: string
  /** The grant, as the app may show it (no tokens). */
  grant: GrantInfo
  /** Who signed in, as read at sign-in: no API call. Null when the app reads no user. */
  user: WorkfrontUser | null
  /** The Workfront API on behalf of this user. */
  client: WorkfrontClient
}

/**
 * How a route answers a request without a session (or whose session ended): `redirect` to sign in (page
 * routes), `json` 401 (API routes), or `public`: the page is public, so a GET goes to the same address again,
 * signed out.
 */
export type UnauthenticatedMode = 'redirect' | 'json' | 'public'

/** Options of `guard()` and `errorResponse()`. */
export interface GuardOptions extends HandlerContext {
  /**
   * `redirect` (page routes, the default): a GET goes to the login route with `returnTo`; other methods
   * get 401. `json` (API routes): 401 `unauthenticated`. `public` (pages anyone may see): a GET goes to the
   * same address again, signed out; other methods get 401.
   */
  onUnauthenticated?: UnauthenticatedMode
}

/** The guard's verdict: the session, or the response to send instead of the route's. */
export type GuardResult =
  | { session: Session; response?: undefined }
  | { session?: undefined; response: Response }

/**
 * An app behind `serve()`: every request that is not a sign-in route, with who is signed in (null when no
 * one is). Where a route needs a session and there is none, throw `WorkfrontOAuthError('unauthenticated')`.
 */
export type WebApp = (request: Request, session: Session | null) => Response | Promise<Response>

/** Options of `serve()`. */
export interface ServeOptions {
  /**
   * How a request that needed a session (the app threw `unauthenticated`, or an error that ends the
   * session) is answered: a mode, or a function of the request. Default: by `Accept`: `redirect` for a
   * browser asking for a page (HTML), `json` (401) for API clients.
   */
  onUnauthenticated?: UnauthenticatedMode | ((request: WebRequest) => UnauthenticatedMode)
}

/** A cookie jar that sets cookies with options in frameworks' shape (Next.js `cookies()`, and the like). */
export interface CookieStore {
  /** Sets (or, with `maxAge: 0`, clears) one cookie on the response being built. */
  set(name: string, value: string, options: CookieAttributes): unknown
}

/** The sign-in routes as a Web handler, and what protected routes need beside it (see `createWebAuth()`). */
export interface WebAuth {
  /** The steps as data, for bindings that render results themselves. */
  readonly flow: WebFlow
  /** The OAuth client the routes drive. */
  readonly oauth: WorkfrontOAuth
  /** Where the routes live (`/auth`), without a trailing slash. */
  readonly basePath: string
  /** The three routes' paths. */
  readonly paths: { readonly login: string; readonly callback: string; readonly logout: string }
  /** True when `url`'s path is under `basePath`: the requests `handler` answers. */
  handles(url: string | URL): boolean
  /**
   * Answers a request under `basePath`: `GET|HEAD login`, `GET callback`, `POST logout`; 405 for another
   * method on those (with `Allow`), 404 for any other path. Every answer is `Cache-Control: no-store`.
   */
  handler(request: WebRequest, context?: HandlerContext): Promise<Response>
  /** `handler` as Next.js route handlers: `export const { GET, POST } = auth.handlers`. */
  readonly handlers: {
    readonly GET: (request: Request) => Promise<Response>
    readonly POST: (request: Request) => Promise<Response>
  }
  /**
   * A whole app as one fetch handler (`Deno.serve`, `Bun.serve`, a Worker's `fetch`): the sign-in routes,
   * and every other request handed to `app` with the session or null (a session whose grant is gone is
   * null, and its cookie cleared). What `app` throws is answered as `errorResponse` answers it (an
   * `unauthenticated` error goes to sign in, or 401), and rotated tokens still owed to the store go to
   * `context.waitUntil`.
   */
  serve(
    app: WebApp,
    options?: ServeOptions,
  ): (request: Request, context?: HandlerContext) => Promise<Response>
  /**
   * Who is signed in, from the request's headers alone (a server component, middleware, background code):
   * the signed session cookie, and the grant confirmed through the near cache, so a session whose grant was
   * signed out or revoked elsewhere is refused within the near cache's age. Null when no one is.
   */
  getSession(input: { headers: HeadersInput }, context?: RequestContext): Promise<Session | null>
  /**
   * `getSession`'s answer when this process knows it at once, for a binding's hot path: a session cookie
   * it has signed or verified (or an app session that reads synchronously) and a grant its near cache
   * holds. `undefined` when it does not (no session, or one that takes a wait): then `guard` or
   * `getSession` gives the answer. Never a store read, never a signature computed; the same frozen session
   * for every request until the grant changes.
   */
  peekSession(input: { headers: HeadersInput }, context?: RequestContext): Session | undefined
  /**
   * For protected routes: the session, or the response to send instead (a redirect to sign in, or 401,
   * clearing a session whose grant is gone; an error page when the store fails).
   */
  guard(request: WebRequest, options?: GuardOptions): Promise<GuardResult>
  /**
   * The answer for an error a route threw: an error that ends the session (`signInAgain` in the error
   * table: the grant is gone or can no longer be refreshed) clears it and answers as `guard` does without
   * one; others get their error page. Anything untyped is `internal_error`, reported to `logger`.
   */
  errorResponse(error: unknown, request: WebRequest, options?: GuardOptions): Promise<Response>
  /**
   * Signs out from server code (a Next.js Server Action): same-origin check, ends the Workfront session,
   * deletes the grant, and clears the session (in `cookies`, when given). Returns the cookies it cleared.
   */
  signOut(
    input: { headers: HeadersInput; cookies?: CookieStore },
    context?: RequestContext,
  ): Promise<{ cookies: CookieInstruction[] }>
  /**
   * A step's result as the handler answers it (redirect, or the error page by `Accept`, with the cookies and
   * `no-store`): for bindings that run `flow`'s steps themselves.
   */
  toResponse(result: WebResult, request: WebRequest): Promise<Response>
  /** Hands rotated tokens this process still owes the store to `waitUntil` (a no-op when there are none). */
  keepPendingWrites(waitUntil: ((promise: Promise<unknown>) => void) | undefined): void
}
