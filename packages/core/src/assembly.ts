/**
 * The assembly both clients share (`createWorkfrontOAuth` and `createWorkfrontServerAuth`): the default
 * ports, the refresh lock, the driver, access tokens with their single flight, API calls, sign-out, and the
 * spans of the operations. What differs between them — the machine's settings, how a grant is obtained (the
 * token endpoint or the JWT exchange), the near cache — is passed in.
 */
import { warnAboutAPIVersion } from './api-versions.ts'
import { consoleLogger, cryptoRandom, systemClock } from './defaults.ts'
import type { AccessTokens, AccessTokensOptions } from './driver/access-tokens.ts'
import { createAccessTokens } from './driver/access-tokens.ts'
import type { APICalls, APILimits } from './driver/api-calls.ts'
import { createAPICalls } from './driver/api-calls.ts'
import { createRefreshLocks } from './driver/lock.ts'
import type { Records } from './driver/records.ts'
import type { Drive, DriverOptions } from './driver/run.ts'
import { createDriver, loadedState } from './driver/run.ts'
import type { Instrumentation, OperationName, OperationObserver, OperationStart } from './instrumentation.ts'
import { hostOf, observed, observedStore } from './instrumentation.ts'
import type { Machine } from './machine.ts'
import type { Clock, HTTPClient, Logger, RandomSource, StoragePort } from './ports.ts'

/** The options both clients take, under the same names and with the same defaults. */
export interface SharedOptions {
  store: StoragePort
  http?: HTTPClient
  clock?: Clock
  random?: RandomSource
  logger?: Logger
  apiLimits?: APILimits
  tokenTimeoutMs?: number
  apiTimeoutMs?: number
  lockLeaseMs?: number
  lockWaitMs?: number
  instrumentation?: Instrumentation
}

/** The ports with their defaults filled in; the store is the observed one when instrumentation is on. */
export interface Ports {
  store: StoragePort
  http: HTTPClient
  clock: Clock
  random: RandomSource
  logger: Logger
  tokenTimeoutMs: number
  instrumentation: Instrumentation | undefined
}

/** Fills in the default ports and warns, once, about an API version past its time. */
export function sharedPorts(options: SharedOptions, apiVersion: string): Ports {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? consoleLogger
  warnAboutAPIVersion(apiVersion, clock.now(), logger)
  return {
    store: observedStore(options.store, options.instrumentation),
    http: options.http ?? ((input, init) => fetch(input, init)),
    clock,
    random: options.random ?? cryptoRandom,
    logger,
    tokenTimeoutMs: options.tokenTimeoutMs ?? 10_000,
    instrumentation: options.instrumentation,
  }
}

export interface AssemblyParts {
  machine: Machine
  records: Records
  apiVersion: string
  /** How a grant is obtained: the code flow's token endpoint, or the JWT exchange. */
  grants: Pick<DriverOptions, 'tokens' | 'jwt' | 'background'>
  /** Whether a sign-in reads who signed in (the code flow's `user.read`, over the API calls). */
  readsUser?: boolean
  /** The first event of a run for a token (server sessions start with `session.requested`). */
  begin?: AccessTokensOptions['begin']
  /** What the operations' spans say of the flow and, when it is fixed, of the tenant. */
  flow: OperationStart['flow']
  tenantHost: string | null
}

export interface Assembly {
  drive: Drive
  access: AccessTokens
  api: APICalls
  /** Ends the grant's Workfront session (best effort) and deletes the grant. */
  logout(grantId: string, observer?: OperationObserver): Promise<{ sessionEnded: boolean }>
  /** Runs `operation` in its span when instrumentation is on; else as it is, at no cost. */
  observe<T>(
    operation: OperationName,
    run: (observer?: OperationObserver) => Promise<T>,
    method?: string,
  ): Promise<T>
}

/** Wires the parts both clients are made of over `ports`. */
export function assemble(options: SharedOptions, ports: Ports, parts: AssemblyParts): Assembly {
  const { store, http, clock, random, instrumentation } = ports
  const { machine, records } = parts
  const drive = createDriver({
    machine,
    records,
    ...parts.grants,
    locks: createRefreshLocks({
      store,
      clock,
      random,
      leaseMs: options.lockLeaseMs ?? 15_000,
      lockWaitMs: options.lockWaitMs ?? 30_000,
    }),
    clock,
    random,
    endSession: (origin, accessToken) => api.endSession(origin, accessToken),
    ...(parts.readsUser ? { readUser: (...args) => api.readUser(...args) } : {}),
  })
  const access = createAccessTokens({
    machine,
    records,
    clock,
    drive,
    ...(parts.begin ? { begin: parts.begin } : {}),
  })
  const api = createAPICalls({
    http,
    apiVersion: parts.apiVersion,
    timeoutMs: options.apiTimeoutMs ?? 30_000,
    clock,
    random,
    ...(options.apiLimits ? { limits: options.apiLimits } : {}),
    accessToken: (grantId, opts) => access.get(grantId, opts),
  })

  async function logout(grantId: string, observer?: OperationObserver): Promise<{ sessionEnded: boolean }> {
    access.forget(grantId)
    const state = loadedState(machine, clock, grantId, await records.loadGrant(grantId))
    if (state.status !== 'authorized') return { sessionEnded: false }
    observer?.tenant(hostOf(state.grant.origin))
    const result = await drive(state, { type: 'logout.requested' }, observer ? { observer } : undefined)
    return { sessionEnded: result.sessionEnded === true }
  }

  return {
    drive,
    access,
    api,
    logout,
    observe: (operation, run, method) =>
      instrumentation
        ? observed(
            instrumentation,
            {
              operation,
              flow: parts.flow,
              tenantHost: parts.tenantHost,
              ...(method === undefined ? {} : { method }),
            },
            run,
          )
        : run(),
  }
}
