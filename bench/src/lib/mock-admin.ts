/** The mock's knobs over HTTP (`admin: { enabled: true }`), as the suite turns them between storms. */
import type { MockCounters, TokenResponse } from '@workfront-oauth/workfront-mock'

export interface MockAdmin {
  origin: string
  setLatency(latency: { token?: number; api?: number; authorize?: number }): Promise<void>
  expireSessions(): Promise<void>
  resetCounters(): Promise<void>
  counters(): Promise<MockCounters>
  issueGrant(options: { clientId: string; username: string }): Promise<TokenResponse>
}

export function mockAdmin(origin: string): MockAdmin {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${origin}/__mock${path}`, {
      method,
      headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok) throw new Error(`mock admin ${path}: HTTP ${response.status} ${await response.text()}`)
    return (await response.json()) as T
  }
  return {
    origin,
    setLatency: async (latency) => void (await call('POST', '/latency', latency)),
    expireSessions: async () => void (await call('POST', '/sessions/expire')),
    resetCounters: async () => void (await call('POST', '/counters/reset')),
    counters: () => call('GET', '/counters'),
    issueGrant: (options) => call('POST', '/grants', options),
  }
}
