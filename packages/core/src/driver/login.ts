/**
 * Login and callback: `startLogin` makes the state, the PKCE pair and the browser binding and runs the
 * machine to the authorize redirect; `handleCallback` finds the login transaction — looking before taking,
 * so that a callback from another browser cannot use up the real user's sign-in — and runs the machine
 * through the code exchange to a stored grant.
 */
import { sha256 } from '../encoding.ts'
import { WorkfrontOAuthError } from '../errors.ts'
import type { OperationObserver } from '../instrumentation.ts'
import type { CallbackParams, Machine, State } from '../machine.ts'
import { initialState } from '../machine.ts'
import { createPKCE, randomToken } from '../pkce.ts'
import type { Clock, RandomSource } from '../ports.ts'
import { parseTenantInput } from '../tenant.ts'
import type { GrantInfo, Records } from './records.ts'
import { grantInfo } from './records.ts'
import type { Drive } from './run.ts'
import { throwStopped } from './run.ts'

/** Options of `WorkfrontOAuth.startLogin()`. */
export interface StartLoginOptions {
  /** Where to go after sign-in (already validated by the caller; see `validateReturnTo`). */
  returnTo?: string
  /** Multi-tenant apps: the org the user named (`acme`, `acme.my.workfront.com`, an origin). */
  tenant?: string
  /** The browser-binding nonce from the login cookie; the callback must present the same one. */
  browserBinding?: string
}

/** A started login: the Workfront authorize URL to send the browser to, and the `state` it carries. */
export interface LoginStart {
  /** Where to send the browser: the org's (or the entry URL's) authorize page. */
  url: string
  /**
   * The login's `state`; bind it to the browser (the web flow keeps it in a cookie) and check it at the
   * callback.
   */
  state: string
}

/** A completed login: the new grant and the app path the user asked to return to. */
export interface CallbackResult {
  /** The new grant, as the app may show it (no tokens). */
  grant: GrantInfo
  /** The app path to send the user to, checked at login to be one of the app's own. */
  returnTo: string
}

export interface LoginOptions {
  machine: Machine
  records: Records
  drive: Drive
  clock: Clock
  random: RandomSource
  /**
   * Accept a callback without `state` when the browser-binding cookie names exactly one login in progress
   * (see the core README, "A callback without state"). Default false: such a callback is `state_mismatch`.
   */
  allowCallbackWithoutState?: boolean
}

/** `observer`: the instrumentation's observer of the operation, when there is one. */
export interface Login {
  startLogin(options?: StartLoginOptions, observer?: OperationObserver): Promise<LoginStart>
  handleCallback(
    input: URL | URLSearchParams | CallbackParams,
    options?: { browserBinding?: string | null },
    observer?: OperationObserver,
  ): Promise<CallbackResult>
}

/** Longer `state` values are not ours: no storage lookup for them. */
const MAX_STATE_LENGTH = 256
/** A browser with more logins than this in progress is not one whose callback can be told apart. */
const MAX_BROWSER_LOGINS = 8
const MAX_WRITE_ROUNDS = 8

export function createLogin(options: LoginOptions): Login {
  const { machine, records, drive, clock, random } = options
  const withoutState = options.allowCallbackWithoutState === true
  /** The list outlives the transactions it names, so a late callback still finds them (and their expiry). */
  const listTtlMs = machine.config.transactionTtlMs + 5 * 60_000

  /** The states of `binding`'s logins whose transaction still exists and is bound to that browser. */
  async function livingLogins(binding: string, states: readonly string[]): Promise<string[]> {
    const transactions = await Promise.all(states.map((state) => records.peekTransaction(state)))
    return states.filter((_, i) => transactions[i]?.browserBinding === binding)
  }

  /** Adds `state` to its browser's list of logins in progress, dropping finished ones (compare-and-set). */
  async function rememberLogin(binding: string, state: string): Promise<void> {
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      const current = await records.browserLogins(binding)
      const living = await livingLogins(binding, current?.states ?? [])
      const states = [...living.slice(-(MAX_BROWSER_LOGINS - 1)), state]
      if (await records.saveBrowserLogins(binding, states, current?.version ?? null, listTtlMs)) return
    }
    // Lost every race: other tabs of this browser keep starting logins. Its state-less callbacks will find
    // more than one login (or none) and be refused, which is the safe side.
  }

  /** The one login in progress of this browser, or null when there are none or several. */
  async function onlyLogin(binding: string): Promise<string | null> {
    const current = await records.browserLogins(binding)
    const living = await livingLogins(binding, current?.states ?? [])
    return living.length === 1 ? (living[0] as string) : null
  }

  return {
    async startLogin(opts = {}, observer) {
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
        observer ? { observer } : undefined,
      )
      if (result.state.status !== 'awaitingCallback' || !result.redirect) throwStopped(result)
      const binding = result.state.transaction.browserBinding
      if (withoutState && binding !== null) await rememberLogin(binding, state)
      return { url: result.redirect, state }
    },

    async handleCallback(input, opts = {}, observer) {
      let params = toCallbackParams(input)
      const browserBinding = opts.browserBinding ? await sha256(opts.browserBinding) : null
      if (params.state === null && withoutState && browserBinding !== null) {
        // Workfront's page does not list `state` among the callback's parameters. When this browser has
        // exactly one login in progress, the callback can only be its answer (or a login CSRF, which PKCE
        // defeats: see the README). Otherwise the machine refuses it as ever.
        const only = await onlyLogin(browserBinding)
        if (only !== null) params = { ...params, state: only }
      }
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
        observer ? { observer } : undefined,
      )
      if (result.state.status !== 'authorized') throwStopped(result)
      return { grant: grantInfo(result.state.grant), returnTo: result.state.returnTo ?? '/' }
    },
  }
}

/** Reads the callback parameters (`code`, `state`, `domain`, `lane`, `error`) from a URL or query string. */
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
