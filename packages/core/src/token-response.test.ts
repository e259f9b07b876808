/**
 * What a token answer may be before anything keeps it: bodies read up to 64 KiB and no further, tokens that
 * are bounded and header-safe. Issue #21 findings 7 and 8: a 64 MB access token was stored, 256 MB of
 * padding took 1.1 GB of memory, and a token with CR/LF ended in a TypeError that quoted it.
 */
import { DEMO_CUSTOMER_ID, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import type { WorkfrontOAuth } from './client.ts'
import { createWorkfrontOAuth } from './client.ts'
import { consoleLogger, cryptoRandom } from './defaults.ts'
import { MAX_TOKEN_RESPONSE_BYTES } from './http.ts'
import { createJWTExchange } from './jwt.ts'
import type { Grant } from './machine.ts'
import { memoryStore } from './memory-store.ts'
import type { HTTPClient, StoragePort } from './ports.ts'
import { failure } from './test/failure.ts'
import { createTokenEndpoint, type TokenEndpoint } from './test/token-endpoint.ts'

const BASE = 'https://acme.my.workfront.com'
const CHUNK = 64 * 1024

/** A body of `total` bytes made lazily, 64 KiB per pull; `pulled` counts what the reader asked for. */
function padding(total: number, prefix = '{"access_token":"') {
  const tally = { pulled: 0, cancelled: false }
  const head = new TextEncoder().encode(prefix)
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (tally.pulled >= total) return controller.close()
      const chunk = new Uint8Array(CHUNK).fill(0x61)
      if (tally.pulled === 0) chunk.set(head)
      tally.pulled += chunk.byteLength
      controller.enqueue(chunk)
    },
    cancel() {
      tally.cancelled = true
    },
  })
  return { stream, tally }
}

async function signedIn(): Promise<{
  oauth: WorkfrontOAuth
  endpoint: TokenEndpoint
  store: StoragePort
  grant: { id: string; accessToken: string }
}> {
  const endpoint = createTokenEndpoint()
  const store = memoryStore()
  const oauth = createWorkfrontOAuth({
    clientId: 'client-1',
    clientSecret: 'secret-1',
    redirectUri: 'https://app.example.com/auth/callback',
    baseUrl: BASE,
    store,
    http: endpoint.fetch,
    nearCache: false,
  })
  const { url, state } = await oauth.startLogin()
  const code = endpoint.issueCode(new URL(url).searchParams.get('code_challenge'))
  const { grant } = await oauth.handleCallback(new URLSearchParams({ code, state }))
  const { accessToken } = await oauth.getAccessToken(grant.id)
  return { oauth, endpoint, store, grant: { id: grant.id, accessToken } }
}

/**
 * The grant as sign-in stored it: the same record, two versions later (the refresh claim, written before
 * the token request, and its withdrawal after the refused answer).
 */
async function expectKept(
  store: StoragePort,
  grantId: string,
  signedInValue: string | undefined,
): Promise<void> {
  expect(await store.getVersioned(`grant:${grantId}`)).toEqual({ value: signedInValue, version: 3 })
}

const refresh = (oauth: WorkfrontOAuth, grant: { id: string; accessToken: string }) =>
  failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: grant.accessToken }))

describe('token endpoint answers are bounded', () => {
  it('stops reading a body past 64 KiB and refuses it with unexpected_response; the grant is kept', async () => {
    const { oauth, endpoint, store, grant } = await signedIn()
    const before = (await store.getVersioned(`grant:${grant.id}`))?.value
    const body = padding(16 * 1024 * 1024)
    endpoint.push({ kind: 'respond', respond: () => new Response(body.stream) })
    const error = await refresh(oauth, grant)
    expect(error).toMatchObject({ code: 'unexpected_response', status: 200 })
    expect(error.message).toContain('more than 64 KiB')
    expect(body.tally.pulled).toBeLessThanOrEqual(MAX_TOKEN_RESPONSE_BYTES + 2 * CHUNK)
    expect(body.tally.cancelled).toBe(true)
    await expectKept(store, grant.id, before)
  })

  it('believes a Content-Length over the bound without reading the body', async () => {
    const { oauth, endpoint, grant } = await signedIn()
    const body = padding(1024 * 1024)
    endpoint.push({
      kind: 'respond',
      respond: () => new Response(body.stream, { headers: { 'content-length': String(1024 * 1024) } }),
    })
    expect(await refresh(oauth, grant)).toMatchObject({ code: 'unexpected_response' })
    expect(body.tally.pulled).toBeLessThanOrEqual(CHUNK)
  })

  it('reads a refused refresh’s body only up to the bound too, and still tells it was refused', async () => {
    const { oauth, endpoint, grant } = await signedIn()
    const body = padding(16 * 1024 * 1024, '{"error":"invalid_grant","error_description":"')
    endpoint.push({ kind: 'respond', respond: () => new Response(body.stream, { status: 400 }) })
    expect(await refresh(oauth, grant)).toMatchObject({ code: 'reauthorization_required' })
    expect(body.tally.pulled).toBeLessThanOrEqual(MAX_TOKEN_RESPONSE_BYTES + 2 * CHUNK)
  })

  const answer = (fields: Record<string, unknown>) => () =>
    Response.json({
      token_type: 'sessionID',
      access_token: 'session-9',
      refresh_token: 'refresh-9',
      ...fields,
    })
  it.each([
    ['a 5,000-character access token', { access_token: 's'.repeat(5_000) }, /access_token/],
    ['an access token with CR/LF', { access_token: 'session-9\r\nx-injected: 1' }, /access_token/],
    ['an access token with a space', { access_token: 'session 9' }, /access_token/],
    ['no access token', { access_token: undefined }, /no access token/],
    ['a refresh token with LF', { refresh_token: 'refresh-9\nx' }, /refresh_token/],
    ['a 5,000-character refresh token', { refresh_token: 'r'.repeat(5_000) }, /refresh_token/],
    ['a 300-character wid', { wid: 'w'.repeat(300) }, /wid/],
    ['a token_type with a NUL', { token_type: 'session\u0000ID' }, /token_type/],
  ])(
    'refuses %s with unexpected_response, keeping the grant and quoting no value',
    async (_, fields, what) => {
      const { oauth, endpoint, store, grant } = await signedIn()
      const before = (await store.getVersioned(`grant:${grant.id}`))?.value
      endpoint.push({ kind: 'respond', respond: answer(fields) })
      const error = await refresh(oauth, grant)
      expect(error).toMatchObject({ code: 'unexpected_response' })
      expect(error.message).toMatch(what)
      const shown = `${error.message} ${JSON.stringify(error)} ${String(error)}`
      for (const value of Object.values(fields)) {
        if (typeof value === 'string') expect(shown).not.toContain(value.slice(0, 12))
      }
      await expectKept(store, grant.id, before)
    },
  )

  it('takes a real answer at the bounds: 4,096-character tokens, a 256-character wid', async () => {
    const { oauth, endpoint, grant } = await signedIn()
    const accessToken = `s${'~'.repeat(4_095)}`
    endpoint.push({
      kind: 'respond',
      respond: answer({ access_token: accessToken, refresh_token: 'r'.repeat(4_096), wid: 'w'.repeat(256) }),
    })
    const token = await oauth.getAccessToken(grant.id, { rejectedAccessToken: grant.accessToken })
    expect(token.accessToken).toBe(accessToken)
  })
})

describe('the JWT exchange answer is bounded the same way', () => {
  function exchange(respond: () => Response) {
    return createJWTExchange({
      customerId: DEMO_CUSTOMER_ID,
      userId: DEMO_USER.id,
      clientId: 'c',
      clientSecret: 's',
      privateKey: DEMO_M2M_PRIVATE_KEY,
      lifetimeSeconds: 300,
      timeoutMs: 60_000,
      clock: { now: () => Date.now() },
      random: cryptoRandom,
      logger: consoleLogger,
      http: async () => respond(),
    }).exchange(BASE)
  }

  it('stops reading past 64 KiB', async () => {
    const body = padding(16 * 1024 * 1024)
    expect(await failure(exchange(() => new Response(body.stream)))).toMatchObject({
      code: 'unexpected_response',
    })
    expect(body.tally.pulled).toBeLessThanOrEqual(MAX_TOKEN_RESPONSE_BYTES + 2 * CHUNK)
  })

  it('refuses an access token that is not header-safe, without quoting it', async () => {
    const error = await failure(exchange(() => Response.json({ access_token: 'abc\r\nx-injected: 1' })))
    expect(error).toMatchObject({ code: 'unexpected_response' })
    expect(JSON.stringify(error)).not.toContain('x-injected')
  })
})

describe('a stored session that cannot be sent', () => {
  // Only a record stored before the checks above can hold one: it is renewed like a rejected session, and
  // nothing about it reaches an error.
  it('is renewed before anything is sent, and never quoted', async () => {
    const { oauth, endpoint, store, grant } = await signedIn()
    const record = await store.getVersioned(`grant:${grant.id}`)
    const stored = JSON.parse(record?.value ?? '{}') as Grant
    const legacy = { ...stored, accessToken: 'session-1\r\nx-injected: 1' }
    await store.compareAndSet(`grant:${grant.id}`, JSON.stringify(legacy), {
      expectedVersion: record?.version ?? null,
    })
    const sent: string[] = []
    const before = endpoint.requests.length
    const response = await oauth.fetch(grant.id, 'session', {})
    // The user read again after the renewal, in the background, is sent with the new session too.
    await oauth.pendingWrites()
    for (const request of endpoint.requests.slice(before)) sent.push(request.headers.sessionid ?? '')
    expect(response.status).toBe(200)
    expect([...new Set(sent.filter((s) => s !== ''))]).toEqual(['session-3'])
    expect(endpoint.counters.refresh).toBe(1)
  })

  it('is a typed error, not a TypeError that quotes it, when the renewal cannot replace it', async () => {
    const http: HTTPClient = async () => new Response('{}')
    const store = memoryStore()
    const oauth = createWorkfrontOAuth({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      redirectUri: 'https://app.example.com/auth/callback',
      baseUrl: BASE,
      store,
      http,
    })
    const legacy: Grant = {
      id: 'g1',
      origin: BASE,
      accessToken: 'session-1\r\nx-injected: 1',
      refreshToken: null,
      tokenType: 'sessionID',
      wid: null,
      createdAt: 0,
      obtainedAt: 0,
      expiresAt: null,
      refreshCount: 0,
    }
    await store.compareAndSet('grant:g1', JSON.stringify(legacy), { expectedVersion: null })
    const error = await failure(oauth.fetch('g1', 'session'))
    expect(error).toMatchObject({ name: 'WorkfrontOAuthError', code: 'reauthorization_required' })
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('x-injected')
  })
})
