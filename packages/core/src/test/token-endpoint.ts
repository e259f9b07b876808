/**
 * A small Workfront token endpoint for the core's own tests: a real request handler (it parses what
 * arrives on the wire and enforces Workfront's rules) with knobs for the failures the driver must survive.
 * The full-featured mock is `@workfront-oauth/workfront-mock`.
 */

export interface RecordedRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: string
}

export interface TokenEndpointOptions {
  clientId?: string
  clientSecret?: string | null
  redirectUri?: string
  rotation?: boolean
  expiresIn?: number
  errorShape?: 'workfront' | 'rfc6749'
}

export type Knob =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'hang' }
  /** Answers once `until` settles (a test holds a token request open while it moves a fake clock). */
  | { kind: 'gate'; until: Promise<void> }
  | { kind: 'omitRefreshToken' }
  /** Calls `run` as the request arrives, then answers as usual (a test breaks the store mid-refresh). */
  | { kind: 'onRequest'; run: () => void }
  /** Answers with what `respond` makes (an oversized or hostile body), without looking at the request. */
  | { kind: 'respond'; respond: () => Response }

/** The one user of this Workfront. */
export const USER = { ID: 'user-1', name: 'Dana Demo', username: 'dana', emailAddr: 'dana@acme.test' }

export function createTokenEndpoint(options: TokenEndpointOptions = {}) {
  const clientId = options.clientId ?? 'client-1'
  const clientSecret = options.clientSecret === undefined ? 'secret-1' : options.clientSecret
  const redirectUri = options.redirectUri ?? 'https://app.example.com/auth/callback'
  const codes = new Map<string, { challenge: string | null }>()
  const refreshTokens = new Map<string, 'active' | 'rotated'>()
  const requests: RecordedRequest[] = []
  const knobs: Knob[] = []
  const counters = { code: 0, refresh: 0, reuses: 0, apiCalls: 0 }
  const sessions = new Set<string>()
  let serial = 0

  const error = (status: number, type: string): Response =>
    Response.json(
      options.errorShape === 'rfc6749'
        ? { error: type.toLowerCase(), error_description: `${type} happened` }
        : { statusCode: status, error: true, type, message: `${type} happened` },
      { status },
    )

  function issue(omitRefresh: boolean): Record<string, unknown> {
    serial++
    const access = `session-${serial}`
    const refresh = `refresh-${serial}`
    sessions.add(access)
    refreshTokens.set(refresh, 'active')
    const body: Record<string, unknown> = {
      token_type: 'sessionID',
      access_token: access,
      expires_in: options.expiresIn ?? 0,
      wid: `wid-${serial}`,
    }
    if (!omitRefresh) body.refresh_token = refresh
    return body
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const body = await request.text()
    requests.push({
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body,
    })
    if (url.pathname.startsWith('/attask/api/')) return api(url, request)
    if (url.pathname !== '/integrations/oauth2/api/v1/token')
      return new Response('not found', { status: 404 })
    if (request.method !== 'POST') return new Response('method not allowed', { status: 405 })

    // Each token request consumes at most one knob.
    const knob = knobs.shift()
    if (knob?.kind === 'status') return new Response(knob.body ?? 'upstream failure', { status: knob.status })
    if (knob?.kind === 'redirect')
      return new Response(null, { status: 302, headers: { location: knob.location } })
    if (knob?.kind === 'hang') return new Promise<Response>(() => {})
    if (knob?.kind === 'respond') return knob.respond()
    if (knob?.kind === 'gate') await knob.until
    if (knob?.kind === 'onRequest') knob.run()
    const omitRefresh = knob?.kind === 'omitRefreshToken'

    // Either documented client-authentication form, or the PKCE public form.
    let params: Record<string, string>
    let authenticated = false
    const type = request.headers.get('content-type') ?? ''
    const authorization = request.headers.get('authorization')
    if (authorization !== null) {
      if (!type.startsWith('application/json')) return error(400, 'INVALID_REQUEST')
      params = JSON.parse(body) as Record<string, string>
      authenticated = authorization === `Basic ${btoa(`${clientId}:${clientSecret}`)}`
    } else {
      if (!type.startsWith('application/x-www-form-urlencoded')) return error(400, 'INVALID_REQUEST')
      params = Object.fromEntries(new URLSearchParams(body))
      if (params.client_id !== clientId) return error(401, 'INVALID_CLIENT')
      authenticated =
        clientSecret === null ? params.client_secret === undefined : params.client_secret === clientSecret
    }
    if (!authenticated) return error(401, 'INVALID_CLIENT')

    if (params.grant_type === 'authorization_code') {
      counters.code++
      const entry = codes.get(params.code ?? '')
      codes.delete(params.code ?? '')
      if (!entry || params.redirect_uri !== redirectUri) return error(400, 'INVALID_GRANT')
      if (entry.challenge !== null) {
        const digest = new Uint8Array(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode(params.code_verifier ?? '')),
        )
        const computed = btoa(String.fromCharCode(...digest))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '')
        if (computed !== entry.challenge) return error(400, 'INVALID_GRANT')
      } else if (clientSecret === null) return error(400, 'INVALID_REQUEST')
      return Response.json(issue(omitRefresh), { headers: { 'cache-control': 'no-store' } })
    }
    if (params.grant_type === 'refresh_token') {
      counters.refresh++
      const state = refreshTokens.get(params.refresh_token ?? '')
      if (state === 'rotated') {
        counters.reuses++
        return error(400, 'INVALID_GRANT')
      }
      if (state !== 'active') return error(400, 'INVALID_GRANT')
      if (options.rotation ?? true) refreshTokens.set(params.refresh_token as string, 'rotated')
      const issued = issue(omitRefresh)
      if (!(options.rotation ?? true)) issued.refresh_token = params.refresh_token
      return Response.json(issued)
    }
    return error(400, 'UNSUPPORTED_GRANT_TYPE')
  }

  function api(url: URL, request: Request): Response {
    counters.apiCalls++
    const session = request.headers.get('sessionid')
    if (session === null || !sessions.has(session)) {
      return Response.json(
        {
          error: {
            class: 'com.attask.common.AuthenticationException',
            message: 'You are not currently logged in',
          },
        },
        { status: 401 },
      )
    }
    if (url.pathname.endsWith('/logout')) {
      sessions.delete(session)
      return Response.json({ data: { success: true } })
    }
    // Who signed in: the sign-in reads it once (`GET session`, then `GET user/<id>`).
    if (url.pathname.endsWith('/session')) return Response.json({ data: { userID: USER.ID } })
    if (url.pathname.endsWith(`/user/${USER.ID}`)) return Response.json({ data: USER })
    return Response.json({ data: { path: url.pathname, search: url.search } })
  }

  return {
    fetch: (input: Request | string | URL, init?: RequestInit): Promise<Response> =>
      handle(input instanceof Request ? input : new Request(input, init)),
    requests,
    counters,
    sessions,
    /** Queues knobs for the next token requests, one per request, in order. */
    push(...next: Knob[]): void {
      knobs.push(...next)
    },
    /** The authorization server's side of a completed consent: a fresh code for that challenge. */
    issueCode(challenge: string | null = null): string {
      const code = `code-${++serial}`
      codes.set(code, { challenge })
      return code
    },
    activeRefreshTokens: (): string[] => [...refreshTokens].filter(([, s]) => s === 'active').map(([t]) => t),
  }
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>
