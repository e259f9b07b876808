import { DurableObject } from 'cloudflare:workers'
import type { CompareAndSetResult, Versioned } from '@workfront-oauth/core/adapters'

/** Added to a remaining lease so that a waiter wakes just after the lease ran out. */
const LEASE_SLACK_MS = 2
/** `setTimeout` fires at once for delays past 2^31 - 1 ms. */
const MAX_DELAY_MS = 2_147_483_647

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER,
    expires_at INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS locks (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`

type EntryRow = { value: string; version: number | null } & Record<string, SqlStorageValue>
type LockRow = { owner: string; expires_at: number } & Record<string, SqlStorageValue>

/**
 * The Durable Object behind `durableObjectStore()`: the keys it is given (one grant, or one login
 * transaction — see the factory's placement) in its SQLite storage, and their locks.
 *
 * Each RPC method runs its SQL synchronously, without an `await` in between, and a Durable Object runs one
 * event at a time: every read-modify-write (take, compare-and-set, acquire, extend, release) is atomic
 * without a transaction. Waiters are promises held in this object's memory and resolved by the release, so
 * nobody polls; an object with a waiting caller stays in memory. Expired rows are never returned and are
 * deleted by the alarm, which is kept at the earliest expiry; an object left empty deletes its storage.
 *
 * One object of the class, named `workfront-oauth:changes:v1`, holds no key: it relays changes, sending the
 * key of every compare-and-set and delete to each isolate's WebSocket (see "Changes across isolates" in the
 * README).
 *
 * Bind it with a migration that lists it in `new_sqlite_classes` (see the README).
 */
export class WorkfrontOAuthStore extends DurableObject<unknown> {
  readonly #sql: SqlStorage
  readonly #waiters = new Map<string, Set<() => void>>()
  /** The alarm as this object set it; `null` when none is set. */
  #alarmAt: number | null = null
  /** Whether the tables exist: created by the first write, gone with the storage of an emptied object. */
  #ready: boolean

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#ready =
      this.#sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('entries', 'locks')")
        .one().n === 2
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm()
    })
  }

  get(key: string): string | null {
    return this.#entry(key, false)?.value ?? null
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#entry(key, false)
    this.#write(key, value, null, ttlMs)
    return this.#schedule()
  }

  take(key: string): Promise<string | null> {
    const entry = this.#entry(key, false)
    if (!entry) return Promise.resolve(null)
    this.#sql.exec('DELETE FROM entries WHERE key = ?', key)
    return this.#schedule().then(() => entry.value)
  }

  delete(key: string): Promise<void> {
    if (!this.#ready) return Promise.resolve()
    this.#sql.exec('DELETE FROM entries WHERE key = ?', key)
    return this.#schedule()
  }

  getVersioned(key: string): Versioned | null {
    const entry = this.#entry(key, true)
    return entry ? { value: entry.value, version: entry.version as number } : null
  }

  async compareAndSet(
    key: string,
    value: string,
    expectedVersion: number | null,
    ttlMs?: number,
  ): Promise<CompareAndSetResult> {
    const entry = this.#entry(key, true)
    const current = entry ? (entry.version as number) : null
    if (current !== expectedVersion) {
      return { ok: false, current: entry ? { value: entry.value, version: current as number } : null }
    }
    const version = (current ?? 0) + 1
    this.#write(key, value, version, ttlMs)
    await this.#schedule()
    return { ok: true, version }
  }

  async acquireLock(key: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.#lock(key)) return false
    this.#migrate()
    this.#sql.exec(
      'INSERT OR REPLACE INTO locks (key, owner, expires_at) VALUES (?, ?, ?)',
      key,
      owner,
      Date.now() + leaseMs,
    )
    await this.#schedule()
    return true
  }

  async extendLock(key: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.#lock(key)?.owner !== owner) return false
    this.#sql.exec('UPDATE locks SET expires_at = ? WHERE key = ?', Date.now() + leaseMs, key)
    await this.#schedule()
    return true
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    if (this.#lock(key)?.owner !== owner) return false
    this.#sql.exec('DELETE FROM locks WHERE key = ?', key)
    this.#wake(key)
    await this.#schedule()
    return true
  }

  /**
   * Resolves when the lock of `key` is released, when its lease runs out, or after `timeoutMs`; at once
   * when it is not held. The caller (another request, another isolate) waits on this object's promise.
   */
  waitForUnlock(key: string, timeoutMs: number): Promise<void> {
    const lock = this.#lock(key)
    if (!lock) return Promise.resolve()
    const leaseLeft = lock.expires_at - Date.now() + LEASE_SLACK_MS
    return new Promise<void>((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set<() => void>()
      this.#waiters.set(key, waiters)
      const done = (): void => {
        clearTimeout(timer)
        waiters.delete(done)
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key)
        resolve()
      }
      const timer = setTimeout(done, Math.min(Math.max(0, timeoutMs), leaseLeft, MAX_DELAY_MS))
      waiters.add(done)
    })
  }

  /**
   * The relay of changes (the object named `workfront-oauth:changes:v1`) takes an isolate's WebSocket
   * here. It is hibernatable: the relay leaves memory while its sockets stay open and wakes for the next
   * change. `tag` (from the query) names the socket, for `disconnect`.
   */
  override fetch(request: Request): Response {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('a WebSocket upgrade is expected', { status: 426 })
    }
    const tag = new URL(request.url).searchParams.get('tag') ?? ''
    if (!/^[0-9a-f]{1,64}$/.test(tag)) return new Response('bad tag', { status: 400 })
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server, [tag])
    return new Response(null, { status: 101, webSocket: client })
  }

  /** The relay sends `key` to every isolate's socket; returns how many it was sent to. */
  announce(key: string): number {
    let sent = 0
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(key)
        sent++
      } catch {
        // Closing: its isolate is told by the close itself.
      }
    }
    return sent
  }

  /** The relay closes the socket named `tag`: its isolate cannot, from a request other than its own. */
  disconnect(tag: string): void {
    for (const ws of this.ctx.getWebSockets(tag)) ws.close(1000, 'closed by the store')
  }

  /** Isolates send nothing; a message is ignored. */
  override webSocketMessage(): void {}

  /**
   * Completes the closing handshake, which workerd does by itself only from compatibility date 2026-04-07
   * (`web_socket_auto_reply_to_close`); 1005 and 1006 say that no code came, and cannot be sent back.
   */
  override webSocketClose(ws: WebSocket, code: number): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code)
    } catch {
      // Closed already.
    }
  }

  /** Deletes what expired, then sets the next alarm; an object with nothing left deletes its storage. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null
    if (!this.#ready) return
    const now = Date.now()
    this.#sql.exec('DELETE FROM entries WHERE expires_at <= ?', now)
    this.#sql.exec('DELETE FROM locks WHERE expires_at <= ?', now)
    if (this.#isEmpty() && this.#waiters.size === 0) {
      await this.ctx.storage.deleteAll()
      this.#ready = false
      return
    }
    await this.#schedule()
  }

  /** The live entry of `key`; a key holds a plain or a versioned value, never both (as in Redis). */
  #entry(key: string, versioned: boolean): EntryRow | undefined {
    if (!this.#ready) return undefined
    const row = this.#sql
      .exec<EntryRow>(
        'SELECT value, version FROM entries WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
        key,
        Date.now(),
      )
      .toArray()[0]
    if (row && (row.version !== null) !== versioned) {
      // No key in the message: it ends up in logs, and a key names a grant.
      throw new TypeError(`the key holds a ${versioned ? 'plain' : 'versioned'} value`)
    }
    return row
  }

  #lock(key: string): LockRow | undefined {
    if (!this.#ready) return undefined
    return this.#sql
      .exec<LockRow>('SELECT owner, expires_at FROM locks WHERE key = ? AND expires_at > ?', key, Date.now())
      .toArray()[0]
  }

  #write(key: string, value: string, version: number | null, ttlMs: number | undefined): void {
    this.#migrate()
    this.#sql.exec(
      'INSERT OR REPLACE INTO entries (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
      key,
      value,
      version,
      ttlMs === undefined ? null : Date.now() + ttlMs,
    )
  }

  #migrate(): void {
    if (this.#ready) return
    this.#sql.exec(SCHEMA)
    this.#ready = true
  }

  #isEmpty(): boolean {
    return (
      this.#sql
        .exec<{ n: number }>('SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM locks) AS n')
        .one().n === 0
    )
  }

  /**
   * Keeps the alarm at the earliest expiry (a lease or a TTL), or sets it now to delete an object that
   * holds nothing any more. Runs after the synchronous SQL of a method: the method's effect is already
   * applied, and two callers that race here can only set the same alarm or an earlier one.
   */
  async #schedule(): Promise<void> {
    const earliest = this.#sql
      .exec<{ t: number | null }>(
        'SELECT min(t) AS t FROM (SELECT min(expires_at) AS t FROM entries UNION ALL SELECT min(expires_at) FROM locks)',
      )
      .one().t
    const wanted = earliest ?? (this.#isEmpty() ? Date.now() : null)
    if (wanted === null || (this.#alarmAt !== null && this.#alarmAt <= wanted)) return
    this.#alarmAt = wanted
    await this.ctx.storage.setAlarm(wanted)
  }

  #wake(key: string): void {
    const waiters = this.#waiters.get(key)
    if (!waiters) return
    this.#waiters.delete(key)
    for (const done of waiters) done()
  }
}
