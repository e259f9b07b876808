import { describe, expect, it } from 'vitest'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import { initialState } from '../machine.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { failure } from '../test/failure.ts'
import { parts, storedGrant } from '../test/parts.ts'
import { createFakeClock } from '../testing.ts'
import { loadedState, throwStopped } from './run.ts'

const refreshEvent = (rejected: string, now: number) =>
  ({ type: 'access.requested', now, rejectedAccessToken: rejected }) as const

describe('driving the machine', () => {
  it('refuses an event that does not apply in the state', async () => {
    const p = parts()
    const error = await failure(p.drive(initialState(), { type: 'lock.timeout' }))
    expect(error.code).toBe('invalid_transition')
  })

  it('runs a refresh through its effects: lock, token request, compare-and-set, release', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    const start = loadedState(p.machine, p.clock, grant.id, await p.records.loadGrant(grant.id))
    const result = await p.drive(start, refreshEvent(grant.accessToken, p.clock.now()))
    // Two writes: the refresh claim (version 2), then the rotated tokens fenced by it (version 3).
    expect(result.state).toMatchObject({ status: 'authorized', version: 3 })
    const after = await p.records.loadGrant(grant.id)
    expect(after).toMatchObject({ version: 3, grant: { refreshCount: 1 } })
    expect(after?.grant.refreshStartedAt).toBeUndefined()
    expect(await p.store.acquireLock(`grant:${grant.id}`, { owner: 'x', leaseMs: 1 })).toBe(true)
  })

  it('keeps the lease alive on the clock while the token request runs, and stops after', async () => {
    const clock = createFakeClock()
    const p = parts({ clock, leaseMs: 300 })
    const grant = await storedGrant(p)
    let open = (): void => {}
    p.endpoint.push({ kind: 'gate', until: new Promise<void>((resolve) => (open = resolve)) })
    const start = loadedState(p.machine, clock, grant.id, await p.records.loadGrant(grant.id))
    const running = p.drive(start, refreshEvent(grant.accessToken, clock.now()))
    await clock.advanceAsync(0)
    // The token request is open (its deadline is one timer, the keep-alive the other).
    expect(clock.pendingTimers()).toBe(2)
    await clock.advanceAsync(1_000)
    expect(await p.store.acquireLock(`grant:${grant.id}`, { owner: 'x', leaseMs: 300 })).toBe(false)
    open()
    expect((await running).state.status).toBe('authorized')
    expect(clock.pendingTimers()).toBe(0)
  })

  it('times a token request out on the clock', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    p.endpoint.push({ kind: 'hang' })
    const start = loadedState(p.machine, p.clock, grant.id, await p.records.loadGrant(grant.id))
    const running = p.drive(start, refreshEvent(grant.accessToken, p.clock.now()))
    await p.clock.advanceAsync(0)
    expect(p.clock.pendingTimers()).toBe(2)
    await p.clock.advanceAsync(10_000)
    const result = await running
    expect(result.state).toMatchObject({ status: 'failed', error: { code: 'token_endpoint_unreachable' } })
    expect(result.error?.code).toBe('token_endpoint_unreachable')
  })

  it('releases the lock it holds when storage fails mid-refresh', async () => {
    const clock = createFakeClock()
    const inner = memoryStore({ clock })
    let failWrites = false
    const store: StoragePort = {
      ...inner,
      compareAndSet: (key, value, options) =>
        failWrites ? Promise.reject(new Error('down')) : inner.compareAndSet(key, value, options),
    }
    const p = parts({ clock, store })
    const grant = await storedGrant(p)
    failWrites = true
    const start = loadedState(p.machine, clock, grant.id, await p.records.loadGrant(grant.id))
    const error = await failure(p.drive(start, refreshEvent(grant.accessToken, clock.now())))
    expect(error.code).toBe('store_unavailable')
    expect(await inner.acquireLock(`grant:${grant.id}`, { owner: 'x', leaseMs: 1 })).toBe(true)
  })

  it('ends the session and deletes the grant on logout', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    const start = loadedState(p.machine, p.clock, grant.id, await p.records.loadGrant(grant.id))
    const result = await p.drive(start, { type: 'logout.requested' })
    expect(result).toMatchObject({ state: { status: 'signedOut' }, sessionEnded: true })
    expect(p.ended).toEqual([grant.accessToken])
    expect(await p.records.loadGrant(grant.id)).toBeNull()
  })
})

describe('throwStopped', () => {
  it('throws the original error when the machine failed with its code, keeping the cause', () => {
    const original = new WorkfrontOAuthError('code_rejected', 'no', { status: 400 })
    const state = { status: 'failed', error: original.toJSON() } as const
    expect(() => throwStopped({ state, error: original })).toThrow(original)
  })

  it('rebuilds the error from the state otherwise, and refuses a run that stopped midway', () => {
    let thrown: unknown
    try {
      throwStopped({
        state: {
          status: 'reauthorizationRequired',
          grantId: 'g',
          error: { code: 'grant_not_found', message: 'gone' },
        },
      })
    } catch (error) {
      thrown = error
    }
    expect(isWorkfrontOAuthError(thrown, 'grant_not_found')).toBe(true)
    expect(() => throwStopped({ state: { status: 'idle' } })).toThrow(/stopped in state idle/)
  })
})
