/**
 * `sendWithDeadline` after a pause of the process (SIGSTOP, a long GC pause, a starved machine): timers run
 * before sockets are read when a paused process resumes, so a deadline that fires late must not abandon an
 * answer that arrived during the pause (#21 finding 1: with rotation, a refresh's answer holds the only
 * valid refresh token).
 */
import { describe, expect, it } from 'vitest'
import { STALL_GRACE_MS, sendWithDeadline } from './http.ts'
import type { Clock } from './ports.ts'

/** A clock whose timers fire only when the test resumes the process, as a paused process's timers do. */
function pausable(): { clock: Clock; resume(afterMs: number): void } {
  let now = 0
  let timers: { due: number; callback: () => void }[] = []
  return {
    clock: {
      now: () => now,
      setTimer(ms, callback) {
        const timer = { due: now + ms, callback }
        timers.push(timer)
        return () => {
          timers = timers.filter((t) => t !== timer)
        }
      },
    },
    resume(afterMs) {
      now += afterMs
      // Timers due by now fire first; those they set fire later.
      const due = timers.filter((t) => t.due <= now).sort((a, b) => a.due - b.due)
      timers = timers.filter((t) => t.due > now)
      for (const timer of due) timer.callback()
    },
  }
}

function request(clock: Clock) {
  let answer: (response: Response) => void = () => undefined
  let signal: AbortSignal | undefined
  const sent = sendWithDeadline(
    (_input, init) => {
      signal = init?.signal ?? undefined
      return new Promise<Response>((resolve) => {
        answer = resolve
      })
    },
    'https://acme.my.workfront.com/integrations/oauth2/api/v1/token',
    { method: 'POST' },
    { timeoutMs: 10_000, clock, onTimeout: () => new Error('deadline'), read: (r) => r.text() },
  )
  const outcome = sent.then(
    (text) => `answer:${text}`,
    (error: Error) => `error:${error.message}`,
  )
  return { outcome, answer: (text: string) => answer(new Response(text)), aborted: () => signal?.aborted }
}

describe('sendWithDeadline after a pause', () => {
  it('reads an answer that arrived while the process was paused past its deadline', async () => {
    const { clock, resume } = pausable()
    const r = request(clock)
    // Paused for 30 s: on resume the deadline (due at 10 s) fires first, then the socket is read.
    resume(30_000)
    r.answer('rotated tokens')
    expect(await r.outcome).toBe('answer:rotated tokens')
    expect(r.aborted()).toBe(false)
  })

  it('gives up on an answer that does not come within the grace after the pause', async () => {
    const { clock, resume } = pausable()
    const r = request(clock)
    resume(30_000)
    resume(STALL_GRACE_MS)
    expect(await r.outcome).toBe('error:deadline')
    expect(r.aborted()).toBe(true)
  })

  it('gives up at once on a deadline that fires on time', async () => {
    const { clock, resume } = pausable()
    const r = request(clock)
    resume(10_000)
    r.answer('too late')
    expect(await r.outcome).toBe('error:deadline')
    expect(r.aborted()).toBe(true)
  })
})
