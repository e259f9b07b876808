/**
 * The instrumentation port, with a recording observer (a real implementation that keeps every call as
 * data): what a refresh run reports step by step, what joiners and the near cache report, what the store
 * wrapper times, that a grant given up is reported, and that no hook argument ever carries an effect's
 * secrets.
 */
import { describe, expect, it } from 'vitest'
import { durableRecords } from './driver/pending.ts'
import { createRecords } from './driver/records.ts'
import { loadedState } from './driver/run.ts'
import type { Instrumentation, OperationObserver, StoreCall } from './instrumentation.ts'
import { observedStore, observeRun, stepEnd, stepOf } from './instrumentation.ts'
import type { Effect, Grant } from './machine.ts'
import { memoryStore } from './memory-store.ts'
import { parts, storedGrant } from './test/parts.ts'
import { createFakeClock, hiccupStore } from './testing.ts'

/** Every call of an observer, in order, as `[method, ...arguments]`. */
function recordingObserver(): { observer: OperationObserver; calls: unknown[][] } {
  const calls: unknown[][] = []
  const observer: OperationObserver = {
    step(step) {
      calls.push(['step', step])
      return (end) => calls.push(['end step', step.kind, end])
    },
    nearCache: (hit) => calls.push(['nearCache', hit]),
    refresh: (outcome, code) =>
      calls.push(code === undefined ? ['refresh', outcome] : ['refresh', outcome, code]),
    grantLost: (reason) => calls.push(['grantLost', reason]),
    tenant: (host) => calls.push(['tenant', host]),
    response: (status, resent) => calls.push(['response', status, resent]),
    end: (error) => calls.push(['end', error]),
  }
  return { observer, calls }
}

describe('observing a run', () => {
  it('a refresh: the lock, the token request, the write and the release as steps, then done', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    const { observer, calls } = recordingObserver()
    const start = loadedState(p.machine, p.clock, grant.id, await p.records.loadGrant(grant.id))
    const event = {
      type: 'access.requested',
      now: p.clock.now(),
      rejectedAccessToken: grant.accessToken,
    } as const
    await p.drive(start, event, { observer })
    expect(calls).toEqual([
      ['step', { kind: 'lock' }],
      ['end step', 'lock', { outcome: 'acquired' }],
      [
        'step',
        {
          kind: 'token',
          grantType: 'refresh_token',
          url: 'https://acme.my.workfront.com/integrations/oauth2/api/v1/token',
          host: 'acme.my.workfront.com',
        },
      ],
      ['end step', 'token', {}],
      ['step', { kind: 'store', operation: 'grant.write' }],
      ['end step', 'store', { outcome: 'written' }],
      ['step', { kind: 'store', operation: 'lock.release' }],
      ['end step', 'store', {}],
      ['refresh', 'done'],
    ])
    const text = JSON.stringify(calls)
    for (const secret of [grant.id, grant.accessToken, grant.refreshToken as string]) {
      expect(text).not.toContain(secret)
    }
  })

  it('a refresh token refused: failed, then the grant lost', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    p.endpoint.push({ kind: 'status', status: 400, body: '{"error":"invalid_grant"}' })
    const { observer, calls } = recordingObserver()
    const start = loadedState(p.machine, p.clock, grant.id, await p.records.loadGrant(grant.id))
    await p.drive(
      start,
      { type: 'access.requested', now: p.clock.now(), rejectedAccessToken: grant.accessToken },
      {
        observer,
      },
    )
    expect(calls).toContainEqual(['end step', 'token', { error: 'refresh_rejected', status: 400 }])
    expect(calls.slice(-2)).toEqual([
      ['refresh', 'failed', 'reauthorization_required'],
      ['grantLost', 'reauthorization_required'],
    ])
  })

  it('callers of a refresh under way are told they joined', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    const first = recordingObserver()
    const second = recordingObserver()
    let open = (): void => {}
    p.endpoint.push({ kind: 'gate', until: new Promise<void>((resolve) => (open = resolve)) })
    const a = p.access.get(grant.id, { rejectedAccessToken: grant.accessToken, observer: first.observer })
    const b = p.access.get(grant.id, { rejectedAccessToken: grant.accessToken, observer: second.observer })
    open()
    await Promise.all([a, b])
    expect(first.calls.filter(([m]) => m === 'refresh')).toEqual([['refresh', 'done']])
    expect(second.calls).toEqual([['refresh', 'joined']])
    // Without a near cache (these parts have none), nothing is answered at once.
    expect(p.access.ready(grant.id)).toBeUndefined()
  })

  it("joiners are told the refreshing operation's trace context, which the grant stores; without one, nothing", async () => {
    const TRACE = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`
    for (const traced of [true, false]) {
      const p = parts()
      const grant = await storedGrant(p)
      const first = recordingObserver()
      if (traced) first.observer.traceContext = () => TRACE
      const joiners = [recordingObserver(), recordingObserver()]
      for (const joiner of joiners) {
        joiner.observer.traceContext = () => `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`
        joiner.observer.refreshJoined = (traceparent) => joiner.calls.push(['refreshJoined', traceparent])
      }
      let open = (): void => {}
      p.endpoint.push({ kind: 'gate', until: new Promise<void>((resolve) => (open = resolve)) })
      const rejected = { rejectedAccessToken: grant.accessToken }
      const calls = [first, ...joiners].map(({ observer }) =>
        p.access.get(grant.id, { ...rejected, observer }),
      )
      open()
      await Promise.all(calls)
      const stored = JSON.parse((await p.store.getVersioned(`grant:${grant.id}`))?.value ?? '{}') as Grant
      if (traced) {
        expect(stored.refreshTrace).toBe(TRACE)
        for (const joiner of joiners)
          expect(joiner.calls).toEqual([
            ['refresh', 'joined'],
            ['refreshJoined', TRACE],
          ])
      } else {
        expect('refreshTrace' in stored).toBe(false)
        for (const joiner of joiners) expect(joiner.calls).toEqual([['refresh', 'joined']])
      }
    }
  })

  it('a run that throws ends its refresh as failed with the error code', async () => {
    const run = observeRun(recordingObserver().observer)
    const { observer, calls } = recordingObserver()
    const failing = observeRun(observer)
    await expect(
      failing.run({ type: 'lock.acquire', grantId: 'g' }, async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    failing.end(null, new Error('boom'))
    expect(calls).toEqual([
      ['step', { kind: 'lock' }],
      ['end step', 'lock', { error: 'internal_error' }],
      ['refresh', 'failed', 'internal_error'],
    ])
    run.end({ status: 'idle' })
  })
})

describe('steps', () => {
  it('are built from the effect type and origin: never a code, verifier, token, grant or transaction', () => {
    const grant: Grant = {
      id: 'grant-id-secret',
      origin: 'https://acme.my.workfront.com',
      accessToken: 'access-token-secret',
      refreshToken: 'refresh-token-secret',
      tokenType: 'sessionID',
      wid: 'wid-secret',
      createdAt: 0,
      obtainedAt: 0,
      expiresAt: null,
      refreshCount: 0,
    }
    const origin = grant.origin
    const effects: Effect[] = [
      {
        type: 'transaction.save',
        ttlMs: 1,
        transaction: {
          state: 'state-secret',
          codeVerifier: 'verifier-secret',
          expectedOrigin: origin,
          returnTo: '/',
          createdAt: 0,
          browserBinding: 'binding-secret',
        },
      },
      { type: 'redirect', url: `${origin}/authorize?state=state-secret` },
      { type: 'token.exchange', origin, code: 'code-secret', codeVerifier: 'verifier-secret' },
      { type: 'token.refresh', origin, refreshToken: 'refresh-token-secret' },
      { type: 'token.jwtExchange', origin },
      { type: 'user.read', origin, accessToken: 'access-token-secret', profile: true },
      { type: 'grant.save', grant, expectedVersion: 1 },
      { type: 'grant.reread', grantId: grant.id },
      { type: 'lock.acquire', grantId: grant.id },
      { type: 'lock.release', grantId: grant.id },
      { type: 'session.end', origin, accessToken: 'access-token-secret' },
      { type: 'grant.delete', grantId: grant.id },
      { type: 'grant.update', grant, expectedVersion: 1 },
      {
        type: 'detach',
        grantId: grant.id,
        state: { status: 'reidentifying', step: 'reading', grant, version: 1 },
        effects: [{ type: 'user.read', origin, accessToken: 'access-token-secret', profile: true }],
      },
      { type: 'log', level: 'warn', message: 'a message' },
    ]
    const steps = effects.map(stepOf)
    // The redirect, the detach (its effects are steps of their own when they run) and the log.
    expect(steps.filter((step) => step === null)).toHaveLength(3)
    expect(steps.at(-3)).toEqual({ kind: 'store', operation: 'grant.write' })
    expect(JSON.stringify(steps)).not.toMatch(/secret/)
    const ends = effects.map((effect) =>
      stepEnd(effect, { type: 'grant.loaded', now: 0, grantId: grant.id, current: { grant, version: 1 } }),
    )
    expect(JSON.stringify(ends)).not.toMatch(/secret/)
  })
})

describe('the store wrapper', () => {
  it('times every call and reports failures; without storeCall the store is returned as it is', async () => {
    const { store, knobs } = hiccupStore()
    const reported: StoreCall[] = []
    let now = 0
    const instrumentation: Instrumentation = {
      operation: () => recordingObserver().observer,
      storeCall: (call) => reported.push(call),
      now: () => (now += 5),
    }
    const observed = observedStore(store, instrumentation)
    await observed.set('tx:a', 'value', { ttlMs: 1_000 })
    knobs.failReads = true
    await expect(observed.getVersioned('grant:a')).rejects.toThrow()
    expect(reported).toEqual([
      { method: 'set', durationMs: 5, failed: false },
      { method: 'getVersioned', durationMs: 5, failed: true },
    ])
    expect(observedStore(store, undefined)).toBe(store)
    expect(observedStore(store, { operation: instrumentation.operation })).toBe(store)
  })

  it('rotated tokens given up for want of room are reported as a grant lost', async () => {
    const clock = createFakeClock()
    const { store, knobs } = hiccupStore(memoryStore({ clock }))
    const lost: string[] = []
    const records = durableRecords(createRecords(store, { grantTtlMs: null }), {
      clock,
      logger: { warn: () => {}, error: () => {} },
      retryDelaysMs: [],
      maxPending: 1,
      instrumentation: {
        operation: () => recordingObserver().observer,
        grantLost: (reason) => lost.push(reason),
      },
    })
    const grant = (id: string): Grant => ({
      id,
      origin: 'https://acme.my.workfront.com',
      accessToken: `a-${id}`,
      refreshToken: `r-${id}`,
      tokenType: 'sessionID',
      wid: null,
      createdAt: 0,
      obtainedAt: 0,
      expiresAt: null,
      refreshCount: 1,
    })
    knobs.failWrites = 10
    await records.saveGrant(grant('one'), 1)
    expect(lost).toEqual([])
    await records.saveGrant(grant('two'), 1)
    expect(lost).toEqual(['pending_given_up'])
  })
})
