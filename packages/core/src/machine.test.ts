import { describe, expect, it } from 'vitest'
import type {
  Event,
  Grant,
  LoginTransaction,
  MachineConfig,
  State,
  StoredGrant,
  TokenSet,
  Transition,
  WorkfrontUser,
} from './machine.ts'
import { createMachine, REFRESH_CLAIM_MS } from './machine.ts'

const NOW = Date.UTC(2026, 10, 28, 12)
const config: MachineConfig = {
  clientId: 'client-1',
  redirectUri: 'https://app.example.com/auth/callback',
  fixedOrigin: 'https://acme.my.workfront.com',
  entryOrigin: null,
  allowedHosts: ['*.my.workfront.com'],
  pkce: true,
  transactionTtlMs: 600_000,
  refreshSkewMs: 60_000,
  user: null,
}
const machine = createMachine(config)

const transaction: LoginTransaction = {
  state: 'state-1',
  codeVerifier: 'v'.repeat(64),
  expectedOrigin: 'https://acme.my.workfront.com',
  returnTo: '/projects',
  createdAt: NOW - 1000,
  browserBinding: 'binding-hash',
}
const grant: Grant = {
  id: 'g1',
  origin: 'https://acme.my.workfront.com',
  accessToken: 'session-1',
  refreshToken: 'refresh-1',
  tokenType: 'sessionID',
  wid: 'wid-1',
  createdAt: NOW - 10_000,
  obtainedAt: NOW - 10_000,
  expiresAt: null,
  refreshCount: 0,
}
const user: WorkfrontUser = { userID: 'u1', name: 'Dana Demo', username: 'dana', emailAddr: 'dana@acme.test' }
const rotated: Grant = { ...grant, accessToken: 'session-2', refreshToken: 'refresh-2', refreshCount: 1 }
const stored = (g: Grant, version: number): StoredGrant => ({ grant: g, version })
/** The grant as a holder of the lock claimed its refresh, a second ago (by another holder, in `waiting`). */
const claimed: Grant = { ...grant, refreshStartedAt: NOW - 1000 }
const tokens: TokenSet = {
  accessToken: 'session-2',
  refreshToken: 'refresh-2',
  tokenType: 'sessionID',
  expiresIn: null,
  wid: 'wid-1',
}

const states: Record<string, State> = {
  idle: { status: 'idle' },
  awaitingCallback: { status: 'awaitingCallback', transaction },
  exchanging: { status: 'exchanging', transaction, origin: 'https://acme.my.workfront.com' },
  identifying: { status: 'identifying', grant, returnTo: '/projects' },
  storing: { status: 'storing', grant, returnTo: '/projects' },
  authorized: { status: 'authorized', grant, version: 3 },
  'refreshing.locking': {
    status: 'refreshing',
    step: 'locking',
    grant,
    version: 3,
    rejectedAccessToken: 'session-1',
  },
  'refreshing.waiting': {
    status: 'refreshing',
    step: 'waiting',
    grant: claimed,
    version: 3,
    rejectedAccessToken: 'session-1',
  },
  'refreshing.claiming': {
    status: 'refreshing',
    step: 'claiming',
    grant: { ...grant, refreshStartedAt: NOW },
    version: 3,
    rejectedAccessToken: 'session-1',
  },
  'refreshing.requesting': {
    status: 'refreshing',
    step: 'requesting',
    grant: claimed,
    version: 4,
    rejectedAccessToken: 'session-1',
  },
  'refreshing.rereading': {
    status: 'refreshing',
    step: 'rereading',
    grant: claimed,
    version: 4,
    rejectedAccessToken: 'session-1',
  },
  'refreshing.releasing': {
    status: 'refreshing',
    step: 'releasing',
    grant: claimed,
    version: 4,
    rejectedAccessToken: 'session-1',
    failure: { error: { code: 'token_endpoint_unreachable', message: 'x' }, reauthorize: false },
  },
  'refreshing.storing': {
    status: 'refreshing',
    step: 'storing',
    grant: rotated,
    version: 3,
    rejectedAccessToken: 'session-1',
  },
  'reidentifying.reading': {
    status: 'reidentifying',
    step: 'reading',
    grant: { ...rotated, user: { ...user, name: 'Dana Former' } },
    version: 4,
  },
  'reidentifying.writing': {
    status: 'reidentifying',
    step: 'writing',
    grant: { ...rotated, user },
    version: 4,
  },
  'reidentifying.checking': {
    status: 'reidentifying',
    step: 'checking',
    grant: rotated,
    version: 3,
    error: { code: 'api_unreachable', message: 'x' },
  },
  reauthorizationRequired: {
    status: 'reauthorizationRequired',
    grantId: 'g1',
    error: { code: 'reauthorization_required', message: 'x' },
  },
  signedOut: { status: 'signedOut', grantId: 'g1' },
  failed: { status: 'failed', error: { code: 'code_rejected', message: 'x' } },
}

const events: Record<string, Event> = {
  'login.start': {
    type: 'login.start',
    now: NOW,
    state: 'state-1',
    codeVerifier: 'v'.repeat(64),
    codeChallenge: 'c'.repeat(43),
    origin: null,
    returnTo: '/projects',
    browserBinding: 'binding-hash',
  },
  'callback.received': {
    type: 'callback.received',
    now: NOW,
    params: {
      code: 'code-1',
      state: 'state-1',
      domain: 'acme',
      lane: 'my',
      error: null,
      errorDescription: null,
    },
    browserBinding: 'binding-hash',
  },
  'token.succeeded': { type: 'token.succeeded', now: NOW, tokens, grantId: 'g-new' },
  'token.failed': { type: 'token.failed', error: { code: 'refresh_rejected', message: 'x', status: 400 } },
  'user.read': { type: 'user.read', user },
  'user.failed': { type: 'user.failed', error: { code: 'api_unreachable', message: 'x' } },
  'grant.loaded': { type: 'grant.loaded', now: NOW, grantId: 'g1', current: stored(grant, 3) },
  'grant.saved': { type: 'grant.saved', version: 4 },
  'grant.conflict': { type: 'grant.conflict', now: NOW, current: stored(rotated, 4) },
  'access.requested': { type: 'access.requested', now: NOW, rejectedAccessToken: 'session-1' },
  'lock.acquired': { type: 'lock.acquired', now: NOW, current: stored(grant, 3) },
  'lock.timeout': { type: 'lock.timeout' },
  'logout.requested': { type: 'logout.requested' },
  'session.requested': {
    type: 'session.requested',
    now: NOW,
    grantId: 'g1',
    origin: 'https://acme.my.workfront.com',
    current: stored(grant, 3),
    rejectedAccessToken: 'session-1',
  },
}

/** The transitions that do something; every other state × event pair must leave the state as it is. */
const expected: Record<string, (t: Transition) => void> = {
  'idle|login.start': ([s, e]) => {
    expect(s).toEqual({ status: 'awaitingCallback', transaction: { ...transaction, createdAt: NOW } })
    expect(e.map((x) => x.type)).toEqual(['transaction.save', 'redirect'])
    const url = new URL((e[1] as { url: string }).url)
    expect(url.origin + url.pathname).toBe('https://acme.my.workfront.com/integrations/oauth2/authorize')
    expect([...url.searchParams.keys()]).toEqual([
      'client_id',
      'redirect_uri',
      'response_type',
      'state',
      'code_challenge',
      'code_challenge_method',
    ])
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
  },
  'idle|callback.received': ([s, e]) => {
    expect(s).toMatchObject({ status: 'failed', error: { code: 'state_mismatch' } })
    expect(e).toEqual([])
  },
  'idle|grant.loaded': ([s, e]) => {
    expect(s).toEqual({ status: 'authorized', grant, version: 3 })
    expect(e).toEqual([])
  },
  'idle|logout.requested': ([s]) => expect(s).toEqual({ status: 'signedOut', grantId: null }),
  'idle|session.requested': ([s, e]) => {
    expect(s).toEqual({
      status: 'refreshing',
      step: 'locking',
      grant,
      version: 3,
      rejectedAccessToken: 'session-1',
    })
    expect(e).toEqual([{ type: 'lock.acquire', grantId: 'g1' }])
  },
  'awaitingCallback|callback.received': ([s, e]) => {
    expect(s).toEqual({ status: 'exchanging', transaction, origin: 'https://acme.my.workfront.com' })
    expect(e).toEqual([
      {
        type: 'token.exchange',
        origin: 'https://acme.my.workfront.com',
        code: 'code-1',
        codeVerifier: 'v'.repeat(64),
      },
    ])
  },
  'exchanging|token.succeeded': ([s, e]) => {
    expect(s).toMatchObject({
      status: 'storing',
      grant: { id: 'g-new', accessToken: 'session-2', tokenType: 'sessionID' },
    })
    expect(e).toMatchObject([{ type: 'grant.save', expectedVersion: null }])
  },
  'exchanging|token.failed': ([s]) =>
    expect(s).toMatchObject({ status: 'failed', error: { code: 'refresh_rejected' } }),
  'identifying|user.read': ([s, e]) => {
    expect(s).toEqual({ status: 'storing', grant: { ...grant, user }, returnTo: '/projects' })
    expect(e).toEqual([{ type: 'grant.save', grant: { ...grant, user }, expectedVersion: null }])
  },
  'identifying|user.failed': ([s, e]) => {
    expect(s).toEqual({ status: 'failed', error: { code: 'api_unreachable', message: 'x' } })
    // The session the exchange opened is ended: nothing will ever use it.
    expect(e).toEqual([{ type: 'session.end', origin: grant.origin, accessToken: 'session-1' }])
  },
  'storing|grant.saved': ([s]) =>
    expect(s).toEqual({ status: 'authorized', grant, version: 4, returnTo: '/projects' }),
  'storing|grant.conflict': ([s]) =>
    expect(s).toMatchObject({ status: 'failed', error: { code: 'unexpected_response' } }),
  'authorized|access.requested': ([s, e]) => {
    expect(s).toMatchObject({
      status: 'refreshing',
      step: 'locking',
      version: 3,
      rejectedAccessToken: 'session-1',
    })
    expect(e).toEqual([{ type: 'lock.acquire', grantId: 'g1' }])
  },
  'authorized|logout.requested': ([s, e]) => {
    expect(s).toEqual({ status: 'signedOut', grantId: 'g1' })
    expect(e).toEqual([
      { type: 'session.end', origin: grant.origin, accessToken: 'session-1' },
      { type: 'grant.delete', grantId: 'g1' },
    ])
  },
  'refreshing.locking|lock.acquired': ([s, e]) => {
    // The refresh is claimed (a fenced write) before the refresh token is sent.
    const claim = { ...grant, refreshStartedAt: NOW }
    expect(s).toMatchObject({ status: 'refreshing', step: 'claiming', version: 3, grant: claim })
    expect(e).toEqual([{ type: 'grant.claim', grant: claim, expectedVersion: 3 }])
  },
  'refreshing.waiting|grant.loaded': ([s, e]) => {
    // The other holder withdrew its claim without an answer: this run claims the refresh.
    expect(s).toMatchObject({ step: 'claiming', version: 3 })
    expect(e).toMatchObject([{ type: 'grant.claim', expectedVersion: 3 }])
  },
  'refreshing.waiting|lock.timeout': ([s, e]) => {
    expect(s).toMatchObject({ status: 'failed', error: { code: 'refresh_timeout' } })
    expect(e).toEqual([{ type: 'lock.release', grantId: 'g1' }])
  },
  'refreshing.claiming|grant.saved': ([s, e]) => {
    expect(s).toMatchObject({ step: 'requesting', version: 4 })
    expect(e).toEqual([{ type: 'token.refresh', origin: grant.origin, refreshToken: 'refresh-1' }])
  },
  'refreshing.claiming|grant.conflict': ([s, e]) => {
    // A holder whose lease ran out stored its answer first: it is used, and nothing is sent.
    expect(s).toEqual({ status: 'authorized', grant: rotated, version: 4 })
    expect(e).toEqual([{ type: 'lock.release', grantId: 'g1' }])
  },
  'refreshing.releasing|grant.saved': ([s, e]) => {
    expect(s).toEqual({ status: 'failed', error: { code: 'token_endpoint_unreachable', message: 'x' } })
    expect(e).toEqual([{ type: 'lock.release', grantId: 'g1' }])
  },
  'refreshing.releasing|grant.conflict': ([s, e]) => {
    expect(s).toEqual({ status: 'failed', error: { code: 'token_endpoint_unreachable', message: 'x' } })
    expect(e).toEqual([{ type: 'lock.release', grantId: 'g1' }])
  },
  'refreshing.locking|grant.loaded': ([s, e]) => {
    // Still the rejected token: try the lock again.
    expect(s).toMatchObject({ status: 'refreshing', step: 'locking' })
    expect(e).toEqual([{ type: 'lock.acquire', grantId: 'g1' }])
  },
  'refreshing.locking|lock.timeout': ([s]) =>
    expect(s).toMatchObject({ status: 'failed', error: { code: 'refresh_timeout' } }),
  'refreshing.requesting|token.succeeded': ([s, e]) => {
    expect(s).toMatchObject({
      status: 'refreshing',
      step: 'storing',
      grant: { accessToken: 'session-2', refreshCount: 1 },
    })
    expect(e.map((x) => x.type)).toEqual(['grant.save', 'lock.release'])
    // Fenced by the claim's version; the claim itself is not kept.
    expect(e[0]).toMatchObject({ expectedVersion: 4 })
    expect((e[0] as { grant: Grant }).grant.refreshStartedAt).toBeUndefined()
  },
  'refreshing.requesting|token.failed': ([s, e]) => {
    expect(s).toMatchObject({ status: 'refreshing', step: 'rereading' })
    expect(e).toEqual([{ type: 'grant.reread', grantId: 'g1' }])
  },
  'refreshing.rereading|grant.loaded': ([s, e]) => {
    // Written since this run's claim (version 3 is not the claim's 4), unclaimed: no verdict on the
    // refresh token; the run goes on as if it had just taken the lock.
    expect(s).toMatchObject({ status: 'refreshing', step: 'claiming', version: 3 })
    expect(e).toMatchObject([{ type: 'grant.claim', expectedVersion: 3 }])
  },
  'refreshing.storing|grant.saved': ([s, e]) => {
    expect(s).toEqual({ status: 'authorized', grant: rotated, version: 4 })
    // This machine reads no user (`user: null`): nothing follows the refresh.
    expect(e).toEqual([])
  },
  'reidentifying.reading|user.read': ([s, e]) => {
    // Renamed: written, fenced by the version the refresh wrote; never held to be written later.
    expect(s).toEqual({ status: 'reidentifying', step: 'writing', grant: { ...rotated, user }, version: 4 })
    expect(e).toEqual([{ type: 'grant.update', grant: { ...rotated, user }, expectedVersion: 4 }])
  },
  'reidentifying.reading|user.failed': ([s, e]) => {
    // Before it is reported, a look at the grant: a sign-out or a newer refresh since makes it moot.
    expect(s).toEqual({
      status: 'reidentifying',
      step: 'checking',
      grant: { ...rotated, user: { ...user, name: 'Dana Former' } },
      version: 4,
      error: { code: 'api_unreachable', message: 'x' },
    })
    expect(e).toEqual([{ type: 'grant.reread', grantId: 'g1' }])
  },
  'reidentifying.checking|grant.loaded': ([s, e]) => {
    // Still the version the refresh wrote: the failed read is reported, the grant kept as it is.
    expect(s).toEqual({ status: 'authorized', grant: rotated, version: 3 })
    expect(e).toEqual([
      {
        type: 'log',
        level: 'warn',
        message: 'the user could not be read again after a refresh',
        error: { code: 'api_unreachable', message: 'x' },
      },
    ])
  },
  'reidentifying.writing|grant.saved': ([s, e]) => {
    expect(s).toEqual({ status: 'authorized', grant: { ...rotated, user }, version: 4 })
    expect(e).toEqual([])
  },
  'reidentifying.writing|grant.conflict': ([s, e]) => {
    // A newer write won: it is kept as it is, silently (concurrency, not a fault).
    expect(s).toEqual({ status: 'authorized', grant: rotated, version: 4 })
    expect(e).toEqual([])
  },
  'refreshing.storing|grant.conflict': ([s]) =>
    expect(s).toEqual({ status: 'authorized', grant: rotated, version: 4 }),
}

describe('transition: every state × event', () => {
  const table = Object.entries(states).flatMap(([stateName, state]) =>
    Object.entries(events).map(([eventName, event]) => ({ stateName, state, eventName, event })),
  )
  it.each(table)('$stateName + $eventName', ({ stateName, state, eventName, event }) => {
    const snapshot = JSON.parse(JSON.stringify(state))
    const result = machine.transition(state, event)
    const check = expected[`${stateName}|${eventName}`]
    if (check) check(result)
    else expect(result).toEqual([state, []])
    // Pure: the input state is not mutated, and the output is plain JSON.
    expect(state).toEqual(snapshot)
    expect(JSON.parse(JSON.stringify(result))).toEqual(result)
  })
  it('covers every listed valid transition', () => {
    for (const key of Object.keys(expected)) {
      const [s, e] = key.split('|') as [string, string]
      expect(states[s], key).toBeDefined()
      expect(events[e], key).toBeDefined()
    }
  })
})

describe('transition: the branches', () => {
  const t = (state: State, event: Event): Transition => machine.transition(state, event)
  const awaiting = states.awaitingCallback as State
  const callback = (
    params: Partial<Extract<Event, { type: 'callback.received' }>['params']>,
    extra: object = {},
  ): Event => {
    const base = events['callback.received'] as Extract<Event, { type: 'callback.received' }>
    return {
      ...base,
      params: { ...base.params, ...params },
      ...extra,
    }
  }
  const code = (r: Transition): string | undefined =>
    r[0].status === 'failed' ? r[0].error.code : r[0].status

  it('rejects callbacks that do not match the transaction', () => {
    expect(code(t(awaiting, callback({ state: 'other' })))).toBe('state_mismatch')
    expect(code(t(awaiting, callback({ state: null })))).toBe('state_mismatch')
    expect(code(t(awaiting, callback({}, { browserBinding: 'someone-else' })))).toBe('browser_mismatch')
    expect(code(t(awaiting, callback({}, { browserBinding: null })))).toBe('browser_mismatch')
    expect(code(t(awaiting, callback({ code: null })))).toBe('invalid_callback')
    expect(code(t(awaiting, callback({ code: '' })))).toBe('invalid_callback')
    expect(code(t(awaiting, callback({ domain: 'evil' })))).toBe('tenant_mismatch')
    expect(code(t(awaiting, callback({ domain: 'acme.evil.com' })))).toBe('invalid_tenant')
    expect(code(t(awaiting, callback({}, { now: NOW + 600_000 })))).toBe('state_expired')
  })

  it('reports a refusal as access_denied, other errors without their free text', () => {
    const denied = t(
      awaiting,
      callback({ code: null, error: 'access_denied', errorDescription: 'secret-ish text' }),
    )
    expect(denied[0]).toMatchObject({
      status: 'failed',
      error: { code: 'access_denied', upstreamCode: 'access_denied' },
    })
    const other = t(awaiting, callback({ code: null, error: '<script>', errorDescription: 'x' }))
    expect(other[0]).toMatchObject({ status: 'failed', error: { code: 'authorization_error' } })
    expect(JSON.stringify(other)).not.toContain('script')
  })

  it('uses the tenant from the callback for multi-tenant logins started without one', () => {
    const multi = createMachine({
      ...config,
      fixedOrigin: null,
      entryOrigin: 'https://oauth.my.workfront.com',
    })
    const [started, effects] = multi.transition({ status: 'idle' }, events['login.start'] as Event)
    expect((effects[1] as { url: string }).url.startsWith('https://oauth.my.workfront.com/')).toBe(true)
    const [next] = multi.transition(started, callback({ domain: 'beta', lane: 'my' }, { now: NOW }))
    expect(next).toMatchObject({ status: 'exchanging', origin: 'https://beta.my.workfront.com' })
    const [refused] = multi.transition(started, callback({ domain: 'beta', lane: 'sb01' }, { now: NOW }))
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'tenant_not_allowed' } })
    const [unknown] = multi.transition(started, callback({ domain: null, lane: null }, { now: NOW }))
    expect(unknown).toMatchObject({ status: 'failed', error: { code: 'invalid_tenant' } })
  })

  it('refuses to start without a tenant, and PKCE without a challenge', () => {
    const multi = createMachine({ ...config, fixedOrigin: null, entryOrigin: null })
    expect(code(multi.transition({ status: 'idle' }, events['login.start'] as Event))).toBe('invalid_tenant')
    const noChallenge = { ...(events['login.start'] as Event), codeChallenge: null } as Event
    expect(code(t({ status: 'idle' }, noChallenge))).toBe('invalid_options')
  })

  it('reads who signed in before storing the grant when the app asks for it', () => {
    for (const [mode, profile] of [
      ['profile', true],
      ['id', false],
    ] as const) {
      const reading = createMachine({ ...config, user: mode })
      const [s, e] = reading.transition(states.exchanging as State, events['token.succeeded'] as Event)
      expect(s).toMatchObject({ status: 'identifying', grant: { id: 'g-new' }, returnTo: '/projects' })
      expect(e).toEqual([
        { type: 'user.read', origin: 'https://acme.my.workfront.com', accessToken: 'session-2', profile },
      ])
    }
  })

  describe('the user read again after a refresh', () => {
    const storing = states['refreshing.storing'] as State
    const saved: Event = { type: 'grant.saved', version: 5 }
    const reading = (g: Grant): State => ({ status: 'reidentifying', step: 'reading', grant: g, version: 5 })
    const read = (u: WorkfrontUser): Event => ({ type: 'user.read', user: u })

    it('is detached once the rotated tokens are written, with the new session, as the app reads it', () => {
      for (const [mode, profile] of [
        ['profile', true],
        ['id', false],
      ] as const) {
        const m = createMachine({ ...config, user: mode })
        // While the answer is being written, nothing else is asked for.
        const [, beforeWrite] = m.transition(
          states['refreshing.requesting'] as State,
          events['token.succeeded'] as Event,
        )
        expect(beforeWrite.map((x) => x.type)).toEqual(['grant.save', 'lock.release'])
        expect(m.transition(storing, saved)).toEqual([
          { status: 'authorized', grant: rotated, version: 5 },
          [
            {
              type: 'detach',
              grantId: 'g1',
              state: reading(rotated),
              effects: [{ type: 'user.read', origin: grant.origin, accessToken: 'session-2', profile }],
            },
          ],
        ])
      }
    })

    it('not after a write that lost (the newer writer reads it), nor for server sessions', () => {
      const m = createMachine({ ...config, user: 'profile' })
      expect(m.transition(storing, events['grant.conflict'] as Event)).toEqual([
        { status: 'authorized', grant: rotated, version: 4 },
        [],
      ])
      const jwt = {
        ...(storing as Extract<State, { status: 'refreshing' }>),
        grant: { ...rotated, flow: 'jwt' as const },
      }
      expect(m.transition(jwt, saved)[1]).toEqual([])
    })

    it('keeps an unchanged user without a write; fills in a grant that had none', () => {
      const m = createMachine({ ...config, user: 'profile' })
      const withUser = { ...rotated, user }
      expect(m.transition(reading(withUser), read({ ...user }))).toEqual([
        { status: 'authorized', grant: withUser, version: 5 },
        [],
      ])
      expect(m.transition(reading(rotated), read(user))).toEqual([
        { status: 'reidentifying', step: 'writing', grant: withUser, version: 5 },
        [{ type: 'grant.update', grant: withUser, expectedVersion: 5 }],
      ])
    })

    it('a newer email address is written; ending in the version written', () => {
      const m = createMachine({ ...config, user: 'profile' })
      const moved = { ...user, emailAddr: 'dana@new.test' }
      const [writing, e] = m.transition(reading({ ...rotated, user }), read(moved))
      expect(e).toEqual([{ type: 'grant.update', grant: { ...rotated, user: moved }, expectedVersion: 5 }])
      expect(m.transition(writing, { type: 'grant.saved', version: 6 })).toEqual([
        { status: 'authorized', grant: { ...rotated, user: moved }, version: 6 },
        [],
      ])
      // Deleted meanwhile (signed out): nothing is written back.
      expect(m.transition(writing, { type: 'grant.conflict', now: NOW, current: null })[0]).toEqual({
        status: 'signedOut',
        grantId: 'g1',
      })
    })

    it('another user ID ends the grant instead of replacing who signed in', () => {
      const m = createMachine({ ...config, user: 'id' })
      const [s, e] = m.transition(reading({ ...rotated, user }), read({ ...user, userID: 'u2' }))
      expect(s).toMatchObject({
        status: 'reauthorizationRequired',
        grantId: 'g1',
        error: { code: 'reauthorization_required' },
      })
      expect(e).toEqual([
        {
          type: 'log',
          level: 'error',
          message: 'a refresh named another user: the grant was ended',
        },
        { type: 'session.end', origin: grant.origin, accessToken: 'session-2' },
        { type: 'grant.delete', grantId: 'g1' },
      ])
      // Nothing in the log or the state names either user.
      expect(JSON.stringify([s, e])).not.toMatch(/u1|u2|Dana/)
    })
  })

  it('leaves PKCE out for confidential clients that do not ask for it', () => {
    const confidential = createMachine({ ...config, pkce: false })
    const [s, e] = confidential.transition({ status: 'idle' }, events['login.start'] as Event)
    expect(s).toMatchObject({ transaction: { codeVerifier: null } })
    expect((e[1] as { url: string }).url).not.toContain('code_challenge')
  })

  it('refreshes only when the token is known expired (with skew) or reported rejected', () => {
    const authorized = (expiresAt: number | null, obtainedAt = NOW - 3_600_000): State => ({
      status: 'authorized',
      grant: { ...grant, obtainedAt, expiresAt },
      version: 1,
    })
    const ask = (rejectedAccessToken: string | null): Event => ({
      type: 'access.requested',
      now: NOW,
      rejectedAccessToken,
    })
    expect(t(authorized(null), ask(null))[0].status).toBe('authorized')
    expect(t(authorized(NOW + 120_000), ask(null))[0].status).toBe('authorized')
    expect(t(authorized(NOW + 30_000), ask(null))[0].status).toBe('refreshing')
    expect(t(authorized(NOW - 1), ask(null))[0].status).toBe('refreshing')
    // Issue #21 finding 9: a lifetime within the skew counted as expired from the start. The skew is at
    // most a quarter of the lifetime: a 30-second session is renewed in its last 7.5 seconds.
    expect(t(authorized(NOW + 30_000, NOW), ask(null))[0].status).toBe('authorized')
    expect(t(authorized(NOW + 7_500, NOW - 22_500), ask(null))[0].status).toBe('refreshing')
    expect(t(authorized(NOW + 7_501, NOW - 22_499), ask(null))[0].status).toBe('authorized')
    expect(t(authorized(NOW, NOW), ask(null))[0].status).toBe('refreshing')
    // A rejection of an older token is already handled: the current one is used.
    expect(t(authorized(null), ask('some-older-session'))[0].status).toBe('authorized')
    expect(t(authorized(null), ask('session-1'))[0].status).toBe('refreshing')
    const noRefresh: State = { status: 'authorized', grant: { ...grant, refreshToken: null }, version: 1 }
    expect(t(noRefresh, ask('session-1'))[0]).toMatchObject({ status: 'reauthorizationRequired' })
  })

  it('uses a grant another instance refreshed instead of refreshing again', () => {
    const locking = states['refreshing.locking'] as State
    const [afterLock, lockEffects] = t(locking, {
      type: 'lock.acquired',
      now: NOW,
      current: stored(rotated, 4),
    })
    expect(afterLock).toEqual({ status: 'authorized', grant: rotated, version: 4 })
    expect(lockEffects).toEqual([{ type: 'lock.release', grantId: 'g1' }])
    const [afterWake, wakeEffects] = t(locking, {
      type: 'grant.loaded',
      now: NOW,
      grantId: 'g1',
      current: stored(rotated, 4),
    })
    expect(afterWake).toEqual({ status: 'authorized', grant: rotated, version: 4 })
    expect(wakeEffects).toEqual([])
    const [gone, goneEffects] = t(locking, { type: 'lock.acquired', now: NOW, current: null })
    expect(gone).toMatchObject({ status: 'reauthorizationRequired', error: { code: 'grant_not_found' } })
    expect(goneEffects).toEqual([{ type: 'lock.release', grantId: 'g1' }])
  })

  it('re-reads once after a rejected refresh and keeps a token rotated meanwhile', () => {
    const rereading = states['refreshing.rereading'] as State
    const [s, e] = t(rereading, {
      type: 'grant.loaded',
      now: NOW,
      grantId: 'g1',
      current: stored(rotated, 4),
    })
    expect(s).toEqual({ status: 'authorized', grant: rotated, version: 4 })
    expect(e).toEqual([{ type: 'lock.release', grantId: 'g1' }])
  })

  it('withdraws its claim, and changes nothing else, when the token endpoint is unreachable', () => {
    const error = { code: 'token_endpoint_unreachable' as const, message: 'x' }
    const [s, e] = t(states['refreshing.requesting'] as State, { type: 'token.failed', error })
    expect(s).toMatchObject({ step: 'releasing', failure: { error, reauthorize: false } })
    expect(e).toEqual([{ type: 'grant.claim', grant, expectedVersion: 4 }])
    expect(t(s, { type: 'grant.saved', version: 5 })).toEqual([
      { status: 'failed', error },
      [{ type: 'lock.release', grantId: 'g1' }],
    ])
  })

  it("carries the run's trace context with its claim and its answer, and stores none without one", () => {
    const locking = states['refreshing.locking'] as State
    const trace = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`
    // The stored grant still names the refresh before: it is replaced, or dropped by an uninstrumented run.
    const before = stored({ ...grant, refreshTrace: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` }, 3)
    const [claiming, claim] = t(locking, { type: 'lock.acquired', now: NOW, current: before, trace })
    expect(claim).toEqual([
      {
        type: 'grant.claim',
        grant: { ...grant, refreshStartedAt: NOW, refreshTrace: trace },
        expectedVersion: 3,
      },
    ])
    const [requesting] = t(claiming, { type: 'grant.saved', version: 4 })
    const [, save] = t(requesting, { type: 'token.succeeded', now: NOW, tokens, grantId: '' })
    expect(save[0]).toMatchObject({
      type: 'grant.save',
      grant: { refreshTrace: trace, accessToken: 'session-2' },
    })
    expect((save[0] as { grant: Grant }).grant.refreshStartedAt).toBeUndefined()
    // Without a trace context nothing is stored, and the one before is not carried over.
    const [plain, plainClaim] = t(locking, { type: 'lock.acquired', now: NOW, current: before })
    expect(plainClaim).toEqual([
      { type: 'grant.claim', grant: { ...grant, refreshStartedAt: NOW }, expectedVersion: 3 },
    ])
    const [plainRequesting] = t(plain, { type: 'grant.saved', version: 4 })
    const [, plainSave] = t(plainRequesting, { type: 'token.succeeded', now: NOW, tokens, grantId: '' })
    expect('refreshTrace' in (plainSave[0] as { grant: Grant }).grant).toBe(false)
    // A withdrawn claim takes its trace context with it.
    const error = { code: 'token_endpoint_unreachable' as const, message: 'x' }
    const [, withdraw] = t(requesting, { type: 'token.failed', error })
    expect(withdraw).toEqual([{ type: 'grant.claim', grant, expectedVersion: 4 }])
  })

  it('waits for a refresh another holder claimed instead of sending the same refresh token', () => {
    const locking = states['refreshing.locking'] as State
    // The holder's lease ran out (stopped, starved) but its claim is fresh: nothing is sent.
    const [waiting, e] = t(locking, { type: 'lock.acquired', now: NOW, current: stored(claimed, 4) })
    expect(waiting).toMatchObject({ step: 'waiting', version: 4 })
    expect(e).toEqual([{ type: 'grant.await', grantId: 'g1' }])
    // Still claimed a moment later: wait on.
    expect(
      t(waiting, { type: 'grant.loaded', now: NOW + 500, grantId: 'g1', current: stored(claimed, 4) }),
    ).toEqual([waiting, [{ type: 'grant.await', grantId: 'g1' }]])
    // The holder stored its answer: it is used.
    expect(
      t(waiting, { type: 'grant.loaded', now: NOW + 900, grantId: 'g1', current: stored(rotated, 5) }),
    ).toEqual([
      { status: 'authorized', grant: rotated, version: 5 },
      [{ type: 'lock.release', grantId: 'g1' }],
    ])
    // A claim as old as the claim's lifetime is a holder taken for dead: the refresh is claimed again.
    const late = NOW - 1000 + REFRESH_CLAIM_MS
    const [again, effects] = t(waiting, {
      type: 'grant.loaded',
      now: late,
      grantId: 'g1',
      current: stored(claimed, 4),
    })
    expect(again).toMatchObject({ step: 'claiming', version: 4, grant: { refreshStartedAt: late } })
    expect(effects).toMatchObject([{ type: 'grant.claim', expectedVersion: 4 }])
    // The lifetime is the machine's to configure.
    const patient = createMachine({ ...config, refreshClaimMs: 10 * REFRESH_CLAIM_MS })
    expect(
      patient.transition(waiting, {
        type: 'grant.loaded',
        now: late,
        grantId: 'g1',
        current: stored(claimed, 4),
      })[0],
    ).toMatchObject({ step: 'waiting' })
  })

  it('asks for a new sign-in only when Workfront refused the token under its own intact claim', () => {
    const rereading = states['refreshing.rereading'] as State
    const [s, e] = t(rereading, {
      type: 'grant.loaded',
      now: NOW,
      grantId: 'g1',
      current: stored(claimed, 4),
    })
    expect(s).toMatchObject({
      step: 'releasing',
      failure: { reauthorize: true, error: { code: 'reauthorization_required' } },
    })
    expect(e).toEqual([{ type: 'grant.claim', grant, expectedVersion: 4 }])
    const [ended, last] = t(s, { type: 'grant.conflict', now: NOW, current: stored(grant, 5) })
    expect(ended).toMatchObject({
      status: 'reauthorizationRequired',
      error: { code: 'reauthorization_required' },
    })
    expect(last).toEqual([{ type: 'lock.release', grantId: 'g1' }])
    // Another holder claimed it since (this run was stopped past the claim's lifetime): wait for that one.
    const [waits] = t(rereading, {
      type: 'grant.loaded',
      now: NOW,
      grantId: 'g1',
      current: stored({ ...grant, refreshStartedAt: NOW - 10 }, 5),
    })
    expect(waits).toMatchObject({ step: 'waiting', version: 5 })
  })

  it('keeps the old refresh token when the response carries none, and records expiry when known', () => {
    const [s] = t(states['refreshing.requesting'] as State, {
      type: 'token.succeeded',
      now: NOW,
      tokens: { ...tokens, refreshToken: null, expiresIn: 3600 },
      grantId: '',
    })
    expect(s).toMatchObject({
      grant: { refreshToken: 'refresh-1', accessToken: 'session-2', expiresAt: NOW + 3_600_000 },
    })
  })
})

describe('the JWT flow: a server session joins the refresh path', () => {
  const origin = 'https://acme.my.workfront.com'
  const session: Grant = { ...grant, id: 'jwt.1', refreshToken: null, flow: 'jwt' }
  const exchanged: TokenSet = { ...tokens, refreshToken: null, expiresIn: 3600 }
  const requested = (current: StoredGrant | null, rejectedAccessToken: string | null = null): Event => ({
    type: 'session.requested',
    now: NOW,
    grantId: 'jwt.1',
    origin,
    current,
    rejectedAccessToken,
  })

  it('uses a stored session that is still good, with no effect', () => {
    expect(machine.transition({ status: 'idle' }, requested(stored(session, 2)))).toEqual([
      { status: 'authorized', grant: session, version: 2 },
      [],
    ])
  })

  it('creates the first session: lock, re-read, one exchange, a write that expects no record', () => {
    let [s, e] = machine.transition({ status: 'idle' }, requested(null))
    expect(s).toMatchObject({ status: 'refreshing', step: 'locking', version: null, grant: { flow: 'jwt' } })
    expect(e).toEqual([{ type: 'lock.acquire', grantId: 'jwt.1' }])
    ;[s, e] = machine.transition(s, { type: 'lock.acquired', now: NOW, current: null })
    expect(s).toMatchObject({ step: 'requesting', version: null })
    expect(e).toEqual([{ type: 'token.jwtExchange', origin }])
    ;[s, e] = machine.transition(s, { type: 'token.succeeded', now: NOW, tokens: exchanged, grantId: '' })
    expect(s).toMatchObject({
      step: 'storing',
      grant: { accessToken: 'session-2', refreshToken: null, expiresAt: NOW + 3_600_000, flow: 'jwt' },
    })
    expect(e).toMatchObject([
      { type: 'grant.save', expectedVersion: null },
      { type: 'lock.release', grantId: 'jwt.1' },
    ])
    ;[s, e] = machine.transition(s, { type: 'grant.saved', version: 1 })
    expect(s).toMatchObject({ status: 'authorized', version: 1, grant: { accessToken: 'session-2' } })
  })

  it('renews a rejected session with a new exchange fenced by the version it read', () => {
    const [s] = machine.transition({ status: 'idle' }, requested(stored(session, 4), 'session-1'))
    const [after, effects] = machine.transition(s, {
      type: 'lock.acquired',
      now: NOW,
      current: stored(session, 4),
    })
    expect(after).toMatchObject({ step: 'requesting', version: 4 })
    expect(effects).toEqual([{ type: 'token.jwtExchange', origin }])
  })

  it('takes the session another process stored while it waited for the lock', () => {
    const [s] = machine.transition({ status: 'idle' }, requested(null))
    const fresh = stored({ ...session, accessToken: 'session-9' }, 1)
    expect(machine.transition(s, { type: 'lock.acquired', now: NOW, current: fresh })).toEqual([
      { status: 'authorized', grant: fresh.grant, version: 1 },
      [{ type: 'lock.release', grantId: 'jwt.1' }],
    ])
    // Woken without the lock while nothing is stored yet: try the lock again.
    expect(
      machine.transition(s, { type: 'grant.loaded', now: NOW, grantId: 'jwt.1', current: null }),
    ).toEqual([s, [{ type: 'lock.acquire', grantId: 'jwt.1' }]])
  })

  it('fails with the exchange error and releases the lock; never asks for re-authorization', () => {
    const [s] = machine.transition({ status: 'idle' }, requested(null))
    const [requesting] = machine.transition(s, { type: 'lock.acquired', now: NOW, current: null })
    const error = { code: 'jwt_rejected' as const, message: 'x', status: 400, upstreamCode: 'INVALID_GRANT' }
    expect(machine.transition(requesting, { type: 'token.failed', error })).toEqual([
      { status: 'failed', error },
      [{ type: 'lock.release', grantId: 'jwt.1' }],
    ])
  })

  it('an authorized server session asked again after a rejection goes to the lock, not to a sign-in', () => {
    const [s, e] = machine.transition(
      { status: 'authorized', grant: session, version: 2 },
      { type: 'access.requested', now: NOW, rejectedAccessToken: 'session-1' },
    )
    expect(s).toMatchObject({ status: 'refreshing', step: 'locking' })
    expect(e).toEqual([{ type: 'lock.acquire', grantId: 'jwt.1' }])
  })
})

describe('the user read again after a refresh', () => {
  it('reports a failed read only while the grant is still the one the refresh wrote', () => {
    const checking = states['reidentifying.checking'] as State
    const loaded = (current: StoredGrant | null): Event => ({
      type: 'grant.loaded',
      now: NOW,
      grantId: 'g1',
      current,
    })
    // Signed out meanwhile (the read failed because the session was ended): nothing to report.
    expect(machine.transition(checking, loaded(null))).toEqual([{ status: 'signedOut', grantId: 'g1' }, []])
    // Refreshed again meanwhile (that refresh reads the user itself): the newer grant, silently.
    expect(machine.transition(checking, loaded(stored(claimed, 5)))).toEqual([
      { status: 'authorized', grant: claimed, version: 5 },
      [],
    ])
  })
})
