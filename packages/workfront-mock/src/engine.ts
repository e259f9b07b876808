import type { AppConfig, Config } from './config'
import { createControls } from './controls'
import { randomHex, randomToken, S256 } from './crypto'
import type { ControllableClock, JWTExchangeResponse, MockUser, TokenResponse } from './types'

/** RFC 6749 §5.2 error codes the token endpoint uses. */
export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'unauthorized_client'
  | 'server_error'

export interface TokenError {
  ok: false
  status: 400 | 401 | 405 | 415 | 500
  error: TokenErrorCode
  description: string
}

/** A refresh without rotation may leave `refresh_token` out (`omitUnchangedRefreshToken`). */
export type GrantResult =
  | { ok: true; tokens: TokenResponse | Omit<TokenResponse, 'refresh_token'> }
  | TokenError

interface CodeRecord {
  clientId: string
  redirectUri: string
  userID: string
  issuedAt: number
  codeChallenge: string | undefined
  /** Set once exchanged: a second exchange revokes this grant (RFC 6749 §4.1.2). */
  grantId: string | undefined
}

interface Grant {
  clientId: string
  userID: string
  createdAt: number
  sessions: Set<string>
  refreshTokens: Set<string>
}

interface RefreshRecord {
  grantId: string
  /** `rotated`: disabled by a later refresh; `revoked`: its grant was revoked. */
  status: 'active' | 'rotated' | 'revoked'
  lastUsedAt: number
}

export interface Session {
  userID: string
  grantId: string | undefined
  lastSeenAt: number
  /** When the token response announced a lifetime (`expires_in` > 0), the session ends then. */
  expiresAt: number | undefined
}

/** The user's sign-in at Workfront in a browser (the mock's own cookie), so a second authorize skips login. */
interface BrowserSession {
  userID: string
  lastSeenAt: number
}

export interface PendingAuthorization {
  clientId: string
  redirectUri: string
  state: string | undefined
  codeChallenge: string | undefined
  createdAt: number
  /** Set once the user has signed in; consent is only accepted then. */
  userID: string | undefined
}

const PENDING_TTL_MS = 10 * 60_000
const PRUNE_INTERVAL_MS = 1000

export function tokenError(
  status: TokenError['status'],
  error: TokenErrorCode,
  description: string,
): TokenError {
  return { ok: false, status, error, description }
}

/**
 * The mock's state and the OAuth rules over it, with no HTTP in sight. Every check-then-write runs
 * synchronously (no `await` in between), so concurrent requests cannot both win a race on one code or
 * one refresh token — the property that makes the mock a fair judge of the client's single-flight logic.
 */
export function createEngine(config: Config, clock: ControllableClock) {
  let codes = new Map<string, CodeRecord>()
  let grants = new Map<string, Grant>()
  let refreshTokens = new Map<string, RefreshRecord>()
  let sessions = new Map<string, Session>()
  let pending = new Map<string, PendingAuthorization>()
  let browserSessions = new Map<string, BrowserSession>()
  let inflightApi = 0
  const controls = createControls()

  let lastPrune = Number.NEGATIVE_INFINITY
  /**
   * Memory housekeeping only (every lookup checks expiry itself), so it runs at most once per second of
   * mock time: walking every code and session on each request made long runs slow down.
   */
  function prune(now: number): void {
    if (now >= lastPrune && now - lastPrune < PRUNE_INTERVAL_MS) return
    lastPrune = now
    for (const [code, record] of codes) {
      // Keep used codes a while past expiry so a late replay is still recognised as reuse.
      if (now - record.issuedAt > config.codeTtlMs + PENDING_TTL_MS) codes.delete(code)
    }
    for (const [id, request] of pending) if (now - request.createdAt >= PENDING_TTL_MS) pending.delete(id)
    for (const [id, session] of sessions) if (sessionOver(session, now)) endSession(id)
    for (const [id, browser] of browserSessions) {
      if (now - browser.lastSeenAt >= config.sessionIdleMs) browserSessions.delete(id)
    }
  }

  function sessionOver(session: Session, now: number): boolean {
    return (
      now - session.lastSeenAt >= config.sessionIdleMs ||
      (session.expiresAt !== undefined && now >= session.expiresAt)
    )
  }

  function endSession(id: string): void {
    const session = sessions.get(id)
    if (!session) return
    sessions.delete(id)
    if (session.grantId) grants.get(session.grantId)?.sessions.delete(id)
  }

  function newSession(userID: string, grantId: string | undefined, now: number): string {
    const id = randomHex(16)
    const expiresAt = config.expiresIn > 0 ? now + config.expiresIn * 1000 : undefined
    sessions.set(id, { userID, grantId, lastSeenAt: now, expiresAt })
    return id
  }

  function newRefreshToken(grantId: string, now: number): string {
    const token = randomToken(32)
    refreshTokens.set(token, { grantId, status: 'active', lastUsedAt: now })
    grants.get(grantId)?.refreshTokens.add(token)
    return token
  }

  function tokenResponse(accessToken: string, refreshToken: string): TokenResponse {
    return {
      token_type: config.tokenType,
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: config.expiresIn,
      wid: randomHex(16),
    }
  }

  function createGrant(clientId: string, userID: string): { grantId: string; tokens: TokenResponse } {
    const now = clock.now()
    prune(now)
    const grantId = randomToken(16)
    grants.set(grantId, { clientId, userID, createdAt: now, sessions: new Set(), refreshTokens: new Set() })
    const sessionID = newSession(userID, grantId, now)
    grants.get(grantId)?.sessions.add(sessionID)
    return { grantId, tokens: tokenResponse(sessionID, newRefreshToken(grantId, now)) }
  }

  /** Ends every session and disables every refresh token the grant produced. */
  function revokeGrant(grantId: string): void {
    const grant = grants.get(grantId)
    if (!grant) return
    for (const id of [...grant.sessions]) endSession(id)
    for (const token of grant.refreshTokens) {
      const record = refreshTokens.get(token)
      if (record) record.status = 'revoked'
    }
  }

  return {
    ...controls,
    now: (): number => clock.now(),

    /** A new API session for `userID`, as the JWT exchange answers: no refresh token. */
    sessionFor(userID: string): JWTExchangeResponse {
      const now = clock.now()
      prune(now)
      return {
        token_type: config.tokenType,
        access_token: newSession(userID, undefined, now),
        expires_in: config.expiresIn,
        wid: randomHex(16),
      }
    },

    /** Signs the browser in at the mock's Workfront; returns the cookie value. */
    startBrowserSession(userID: string): string {
      const id = randomToken(32)
      browserSessions.set(id, { userID, lastSeenAt: clock.now() })
      return id
    },

    /** The user a browser cookie is signed in as, if the browser session is still alive. */
    browserUser(id: string): MockUser | undefined {
      const now = clock.now()
      const browser = browserSessions.get(id)
      if (!browser) return undefined
      if (now - browser.lastSeenAt >= config.sessionIdleMs) {
        browserSessions.delete(id)
        return undefined
      }
      browser.lastSeenAt = now
      return config.usersByID.get(browser.userID)
    },

    /** Claims an API slot; `false` when `maxConcurrentApiRequests` are already in flight. */
    enterApi(): boolean {
      if (config.maxConcurrentApiRequests !== undefined && inflightApi >= config.maxConcurrentApiRequests) {
        return false
      }
      inflightApi += 1
      return true
    },

    leaveApi(): void {
      inflightApi -= 1
    },

    startAuthorization(request: Omit<PendingAuthorization, 'createdAt' | 'userID'>): string {
      const now = clock.now()
      prune(now)
      const id = randomToken(32)
      pending.set(id, { ...request, createdAt: now, userID: undefined })
      return id
    },

    pendingAuthorization(id: string): PendingAuthorization | undefined {
      const request = pending.get(id)
      if (request && clock.now() - request.createdAt >= PENDING_TTL_MS) {
        pending.delete(id)
        return undefined
      }
      return request
    },

    /** Single use: consent (allow or deny) ends the pending authorization. */
    finishAuthorization(id: string): void {
      pending.delete(id)
    },

    authenticate(username: string, password: string): MockUser | undefined {
      const user = config.usersByUsername.get(username)
      return user && user.password === password ? user : undefined
    },

    issueCode(request: {
      clientId: string
      redirectUri: string
      userID: string
      codeChallenge: string | undefined
    }): string {
      const now = clock.now()
      prune(now)
      const code = randomToken(32)
      codes.set(code, { ...request, issuedAt: now, grantId: undefined })
      return code
    },

    createGrant(clientId: string, userID: string): TokenResponse {
      return createGrant(clientId, userID).tokens
    },

    async exchangeCode(
      app: AppConfig,
      params: { code: string; redirectUri: string; codeVerifier: string | undefined },
    ): Promise<GrantResult> {
      // Hash first: everything after this line is synchronous, so a code cannot be redeemed twice.
      const verifierHash = params.codeVerifier === undefined ? undefined : await S256(params.codeVerifier)
      const now = clock.now()
      const record = codes.get(params.code)
      if (!record || record.clientId !== app.clientId) {
        return tokenError(400, 'invalid_grant', 'The authorization code is invalid.')
      }
      if (record.grantId !== undefined) {
        // RFC 6749 §4.1.2: deny, and revoke the tokens previously issued from this code.
        controls.countCodeReuse()
        revokeGrant(record.grantId)
        return tokenError(400, 'invalid_grant', 'The authorization code has already been used.')
      }
      if (now >= record.issuedAt + config.codeTtlMs) {
        return tokenError(400, 'invalid_grant', 'The authorization code has expired.')
      }
      if (record.redirectUri !== params.redirectUri) {
        return tokenError(400, 'invalid_grant', 'redirect_uri does not match the authorization request.')
      }
      if (record.codeChallenge !== undefined) {
        if (verifierHash === undefined) return tokenError(400, 'invalid_grant', 'code_verifier is required.')
        if (verifierHash !== record.codeChallenge) {
          return tokenError(400, 'invalid_grant', 'code_verifier does not match the code_challenge.')
        }
      } else if (verifierHash !== undefined) {
        // RFC 9700 §2.1.1: a verifier without a challenge is a PKCE downgrade attempt.
        return tokenError(
          400,
          'invalid_grant',
          'code_verifier sent but the authorization had no code_challenge.',
        )
      }
      const { grantId, tokens } = createGrant(app.clientId, record.userID)
      record.grantId = grantId
      return { ok: true, tokens }
    },

    refresh(app: AppConfig, refreshToken: string): GrantResult {
      const now = clock.now()
      prune(now)
      const record = refreshTokens.get(refreshToken)
      const grant = record && grants.get(record.grantId)
      if (!record || !grant || grant.clientId !== app.clientId) {
        return tokenError(400, 'invalid_grant', 'The refresh token is invalid.')
      }
      if (record.status === 'rotated') {
        controls.countRefreshReuse()
        return tokenError(400, 'invalid_grant', 'The refresh token has already been used.')
      }
      if (record.status === 'revoked')
        return tokenError(400, 'invalid_grant', 'The refresh token was revoked.')
      if (
        app.refreshTokenAbsoluteTtlMs !== undefined &&
        now >= grant.createdAt + app.refreshTokenAbsoluteTtlMs
      ) {
        return tokenError(400, 'invalid_grant', 'The refresh token has expired.')
      }
      if (app.refreshTokenIdleTtlMs !== undefined && now >= record.lastUsedAt + app.refreshTokenIdleTtlMs) {
        return tokenError(400, 'invalid_grant', 'The refresh token has expired after inactivity.')
      }
      const sessionID = newSession(grant.userID, record.grantId, now)
      grant.sessions.add(sessionID)
      if (!app.rotation) {
        record.lastUsedAt = now
        const tokens = tokenResponse(sessionID, refreshToken)
        if (!config.omitUnchangedRefreshToken) return { ok: true, tokens }
        const { refresh_token: _unchanged, ...withoutRefreshToken } = tokens
        return { ok: true, tokens: withoutRefreshToken }
      }
      record.status = 'rotated'
      return { ok: true, tokens: tokenResponse(sessionID, newRefreshToken(record.grantId, now)) }
    },

    /** The live session for `id`, its idle timer reset; `undefined` if unknown, ended or idle too long. */
    touchSession(id: string): Session | undefined {
      const now = clock.now()
      const session = sessions.get(id)
      if (!session) return undefined
      if (sessionOver(session, now)) {
        endSession(id)
        return undefined
      }
      session.lastSeenAt = now
      return session
    },

    endSession,

    expireAllSessions(): void {
      for (const id of [...sessions.keys()]) endSession(id)
    },

    reset(): void {
      codes = new Map()
      grants = new Map()
      refreshTokens = new Map()
      sessions = new Map()
      pending = new Map()
      browserSessions = new Map()
      controls.resetControls()
      // inflightApi is left alone: requests still in flight will leave their slot.
    },
  }
}

export type Engine = ReturnType<typeof createEngine>
