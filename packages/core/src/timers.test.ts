import { describe, expect, it } from 'vitest'
import { createFakeClock } from './testing.ts'
import { setRepeatingTimer, setTimer, sleep } from './timers.ts'

describe('timers on a fake clock', () => {
  it('fire when the clock reaches them, in order of due time, each seeing its own time', () => {
    const clock = createFakeClock(0)
    const fired: string[] = []
    setTimer(clock, 30, () => fired.push(`c@${clock.now()}`))
    setTimer(clock, 10, () => fired.push(`a@${clock.now()}`))
    setTimer(clock, 10, () => fired.push(`b@${clock.now()}`))
    clock.advance(9)
    expect(fired).toEqual([])
    clock.advance(21)
    expect(fired).toEqual(['a@10', 'b@10', 'c@30'])
    expect(clock.now()).toBe(30)
    expect(clock.pendingTimers()).toBe(0)
  })

  it('fire timers set by other timers when they fall due within the same advance', () => {
    const clock = createFakeClock(0)
    const fired: number[] = []
    setTimer(clock, 5, () => setTimer(clock, 5, () => fired.push(clock.now())))
    clock.advance(100)
    expect(fired).toEqual([10])
  })

  it('advanceAsync lets the work a timer started run, so a sleep after an await fires within the same advance', async () => {
    const clock = createFakeClock(0)
    const seen: number[] = []
    const job = (async () => {
      await sleep(clock, 10)
      seen.push(clock.now())
      await Promise.resolve()
      await sleep(clock, 10)
      seen.push(clock.now())
    })()
    // A synchronous advance: the work after the first sleep runs late (it sees 100, not 10) and its second
    // sleep is set after time has moved, so it does not fire.
    const other = createFakeClock(0)
    const syncSeen: number[] = []
    void (async () => {
      await sleep(other, 10)
      syncSeen.push(other.now())
      await sleep(other, 10)
      syncSeen.push(other.now())
    })()
    other.advance(100)
    await Promise.resolve()
    expect(syncSeen).toEqual([100])
    expect(other.pendingTimers()).toBe(1)
    await clock.advanceAsync(100)
    await job
    expect(seen).toEqual([10, 20])
    expect(clock.now()).toBe(100)
  })

  it('never fire once cancelled', () => {
    const clock = createFakeClock(0)
    let fired = false
    const cancel = setTimer(clock, 10, () => {
      fired = true
    })
    cancel()
    clock.advance(100)
    expect(fired).toBe(false)
  })

  it('repeat until stopped', () => {
    const clock = createFakeClock(0)
    const ticks: number[] = []
    const stop = setRepeatingTimer(clock, 100, () => ticks.push(clock.now()))
    clock.advance(350)
    stop()
    clock.advance(1_000)
    expect(ticks).toEqual([100, 200, 300])
    expect(clock.pendingTimers()).toBe(0)
  })

  it('sleep resolves only when the clock has moved far enough', async () => {
    const clock = createFakeClock(0)
    let woke = false
    const slept = sleep(clock, 50).then(() => {
      woke = true
    })
    clock.advance(49)
    await Promise.resolve()
    expect(woke).toBe(false)
    clock.set(50)
    await slept
    expect(woke).toBe(true)
  })

  it('a clock without setTimer uses real timers', async () => {
    // Real time on purpose: what is tested is the fallback to a real timer (5 ms).
    let now = 0
    const fired = await new Promise<number>((resolve) => {
      setTimer({ now: () => now }, 5, () => resolve(++now))
    })
    expect(fired).toBe(1)
  })
})
