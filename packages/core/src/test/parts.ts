/**
 * The driver's parts wired as `createWorkfrontOAuth` wires them, on one fake clock and a memory store,
 * for the focused tests of each part.
 */

import { cryptoRandom } from '../defaults.ts'
import type { AccessTokens } from '../driver/access-tokens.ts'
import { createAccessTokens } from '../driver/access-tokens.ts'
import type { RefreshLocks } from '../driver/lock.ts'
import { createRefreshLocks } from '../driver/lock.ts'
import type { Records } from '../driver/records.ts'
import { createRecords } from '../driver/records.ts'
import type { Drive } from '../driver/run.ts'
import { createDriver } from '../driver/run.ts'
import type { Grant, Machine } from '../machine.ts'
import { createMachine } from '../machine.ts'
import { memoryStore } from '../memory-store.ts'
import type { RandomSource, StoragePort } from '../ports.ts'
import { createTokenClient } from '../protocol.ts'
import type { FakeClock } from '../testing.ts'
import { createFakeClock } from '../testing.ts'
import type { TokenEndpoint } from './token-endpoint.ts'
import { createTokenEndpoint } from './token-endpoint.ts'

export const BASE = 'https://acme.my.workfront.com'
export const REDIRECT = 'https://app.example.com/auth/callback'

export interface Parts {
  clock: FakeClock
  random: RandomSource
  store: StoragePort
  endpoint: TokenEndpoint
  machine: Machine
  records: Records
  locks: RefreshLocks
  drive: Drive
  access: AccessTokens
  /** The access tokens whose Workfront session the driver asked to end. */
  ended: string[]
}

export function parts(
  options: {
    clock?: FakeClock
    store?: StoragePort
    endpoint?: TokenEndpoint
    leaseMs?: number
    lockWaitMs?: number
  } = {},
): Parts {
  const clock = options.clock ?? createFakeClock()
  const store = options.store ?? memoryStore({ clock })
  const endpoint = options.endpoint ?? createTokenEndpoint()
  const machine = createMachine({
    clientId: 'client-1',
    redirectUri: REDIRECT,
    fixedOrigin: BASE,
    entryOrigin: null,
    allowedHosts: [],
    pkce: false,
    transactionTtlMs: 600_000,
    refreshSkewMs: 60_000,
    user: null,
  })
  const records = createRecords(store, { grantTtlMs: null })
  const locks = createRefreshLocks({
    store,
    clock,
    random: cryptoRandom,
    leaseMs: options.leaseMs ?? 15_000,
    lockWaitMs: options.lockWaitMs ?? 30_000,
  })
  const ended: string[] = []
  const drive = createDriver({
    machine,
    records,
    tokens: createTokenClient({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      clientAuth: 'post',
      redirectUri: REDIRECT,
      http: endpoint.fetch,
      timeoutMs: 10_000,
      clock,
    }),
    locks,
    clock,
    random: cryptoRandom,
    async endSession(_origin, accessToken) {
      ended.push(accessToken)
      return true
    },
  })
  const access = createAccessTokens({ machine, records, clock, drive })
  return { clock, random: cryptoRandom, store, endpoint, machine, records, locks, drive, access, ended }
}

/** A stored grant whose refresh token the endpoint honours (as after a sign-in). */
let grants = 0

export async function storedGrant(p: Parts, overrides: Partial<Grant> = {}): Promise<Grant> {
  const { accessToken, refreshToken } = await signedInTokens(p.endpoint)
  const grant: Grant = {
    id: `grant-${++grants}`,
    origin: BASE,
    accessToken,
    refreshToken,
    tokenType: 'sessionID',
    wid: null,
    createdAt: p.clock.now(),
    obtainedAt: p.clock.now(),
    expiresAt: null,
    refreshCount: 0,
    ...overrides,
  }
  const saved = await p.records.saveGrant(grant, null)
  if (!saved.ok) throw new Error('grant exists')
  return grant
}

/** Runs a code exchange at the endpoint, as a sign-in would. */
async function signedInTokens(
  endpoint: TokenEndpoint,
): Promise<{ accessToken: string; refreshToken: string }> {
  const response = await endpoint.fetch(`${BASE}/integrations/oauth2/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: endpoint.issueCode(),
      redirect_uri: REDIRECT,
      client_id: 'client-1',
      client_secret: 'secret-1',
    }),
  })
  const body = (await response.json()) as { access_token: string; refresh_token: string }
  return { accessToken: body.access_token, refreshToken: body.refresh_token }
}
