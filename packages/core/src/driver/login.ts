/**
 * Login and callback: `startLogin` makes the state, the PKCE pair and the browser binding and runs the
 * machine to the authorize redirect; `handleCallback` finds the login transaction — looking before taking,
 * so that a callback from another browser cannot use up the real user's sign-in — and runs the machine
 * through the code exchange to a stored grant.
 */
import { sha256 } from '../encoding.ts'
import { WorkfrontOAuthError } from '../errors.ts'
import type { CallbackParams, Machine, State } from '../machine.ts'
import { initialState } from '../machine.ts'
import { createPKCE, randomToken } from '../pkce.ts'
import type { Clock, RandomSource } from '../ports.ts'
import { parseTenantInput } from '../tenant.ts'
import type { GrantInfo, Records } from './records.ts'
import { grantInfo } from './records.ts'
import type { Drive } from './run.ts'
import { settled } from './run.ts'

export interface StartLoginOptions {
  /** Where to go after sign-in (already validated by the caller; see `validateReturnTo`). */
  returnTo?: string
  /** Multi-tenant apps: the org the user named (`acme`, `acme.my.workfront.com`, an origin). */
  tenant?: string
  /** The browser-binding nonce from the login cookie; the callback must present the same one. */
  browserBinding?: string
}

export interface LoginStart {
  url: string
  state: string
}

export interface CallbackResult {
  grant: GrantInfo
  returnTo: string
}

export interface LoginOptions {
  machine: Machine
  records: Records
  drive: Drive
  clock: Clock
  random: RandomSource
}

export interface Login {
  startLogin(options?: StartLoginOptions): Promise<LoginStart>
  handleCallback(
    input: URL | URLSearchParams | CallbackParams,
    options?: { browserBinding?: string | null },
  ): Promise<CallbackResult>
}

/** Longer `state` values are not ours: no storage lookup for them. */
const MAX_STATE_LENGTH = 256

export function createLogin(options: LoginOptions): Login {
  const { machine, records, drive, clock, random } = options

  return {
    async startLogin(opts = {}) {
      let origin: string | null = null
      if (opts.tenant !== undefined && opts.tenant !== '') {
        if (machine.config.fixedOrigin !== null) {
          // User input, not configuration: a 400, not a server error.
          throw new WorkfrontOAuthError(
            'invalid_tenant',
            'This app signs in to one Workfront org and takes no other',
          )
        }
        const tenant = parseTenantInput(opts.tenant, machine.config.allowedHosts)
        if (!tenant.ok) throw tenant.error
        origin = tenant.origin
      }
      const state = randomToken(random)
      const pkce = machine.config.pkce ? await createPKCE(random) : null
      const result = await drive(
        initialState(),
        {
          type: 'login.start',
          now: clock.now(),
          state,
          codeVerifier: pkce?.verifier ?? null,
          codeChallenge: pkce?.challenge ?? null,
          origin,
          returnTo: opts.returnTo ?? '/',
          browserBinding: opts.browserBinding ? await sha256(opts.browserBinding) : null,
        },
        { state },
      )
      if (result.state.status !== 'awaitingCallback' || !result.redirect) settled(result)
      return { url: result.redirect, state }
    },

    async handleCallback(input, opts = {}) {
      const params = toCallbackParams(input)
      const browserBinding = opts.browserBinding ? await sha256(opts.browserBinding) : null
      const state = params.state !== null && params.state.length <= MAX_STATE_LENGTH ? params.state : null
      // Look before taking: a callback from another browser must not use up the real user's sign-in.
      let transaction = state === null ? null : await records.peekTransaction(state)
      if (
        state !== null &&
        transaction !== null &&
        [null, browserBinding].includes(transaction.browserBinding)
      ) {
        transaction = await records.takeTransaction(state)
      }
      const start: State = transaction ? { status: 'awaitingCallback', transaction } : initialState()
      const result = await drive(
        start,
        { type: 'callback.received', now: clock.now(), params, browserBinding },
        { state: params.state ?? '' },
      )
      if (result.state.status !== 'authorized') settled(result)
      return { grant: grantInfo(result.state.grant), returnTo: result.state.returnTo ?? '/' }
    },
  }
}

export function toCallbackParams(input: URL | URLSearchParams | CallbackParams): CallbackParams {
  if (!(input instanceof URL) && !(input instanceof URLSearchParams)) return input
  const search = input instanceof URL ? input.searchParams : input
  // A parameter given twice is ambiguous (and a classic injection): treat it as absent.
  const one = (name: string): string | null => {
    const all = search.getAll(name)
    return all.length === 1 ? (all[0] as string) : null
  }
  return {
    code: one('code'),
    state: one('state'),
    domain: one('domain'),
    lane: one('lane'),
    error: one('error'),
    errorDescription: one('error_description'),
  }
}
