/**
 * Changes of stored values, told to the near caches of every isolate (the core's `watchChanges`): every
 * compare-and-set and delete is announced to one relay object of the namespace, which sends the key to
 * each isolate over a hibernatable WebSocket that the isolate keeps open.
 *
 * One socket per namespace and isolate, shared by every store built on that namespace binding (a store
 * built per request must not open a socket per request). Workerd ties a socket to the request that opened
 * it: it is opened by a store operation, which waits until the relay accepted it (a request that ends
 * before then loses it), and it is never touched from another request — closing it goes through the relay.
 * A socket that drops or cannot be opened tells the listeners `null` (changes may go unheard), and the
 * next operation opens a new one: at most one attempt a second, the interval doubled after each failure
 * up to 30 s, so that a relay that is down costs an isolate at most one attempt per interval.
 */
import type { WorkfrontOAuthStore } from './object.ts'
import { within } from './timeout.ts'

/**
 * The relay's name. Two `:` in it: `objectName()` never returns such a name, so no stored key lands there.
 */
export const CHANGES_OBJECT = 'workfront-oauth:changes:v1'

/**
 * Listeners one isolate keeps per namespace. A client built per request (whose near cache holds nothing
 * worth telling) adds one per request and never removes it: past this bound, new ones are told `null` at
 * once and not kept, so that memory stays bounded; they keep to their near cache's maximum age.
 */
export const MAX_LISTENERS = 100

const FIRST_RETRY_MS = 1_000
const MAX_RETRY_MS = 30_000

type Listener = (key: string | null) => void

/** What a store needs to reach the relay. */
export interface RelayAccess {
  relay(): DurableObjectStub<WorkfrontOAuthStore>
  timeoutMs: number
}

export interface ChangesChannel {
  /** Adds a listener (a fresh entry per call); returns the function that removes it. */
  listen(listener: Listener): () => void
  /**
   * Called by every store operation: opens the socket when there are listeners and none is open or being
   * opened. Returns the opening (which never rejects) to the one operation that started it, which must wait
   * for it; `null` otherwise.
   */
  join(access: RelayAccess): Promise<void> | null
  /** Closes the socket (through the relay) once no listener is left. */
  release(access: RelayAccess): Promise<void>
}

const channels = new WeakMap<object, ChangesChannel>()

/** The channel of `namespace` in this isolate. */
export function changesChannel(namespace: object): ChangesChannel {
  let channel = channels.get(namespace)
  if (!channel) {
    channel = createChannel()
    channels.set(namespace, channel)
  }
  return channel
}

function createChannel(): ChangesChannel {
  const listeners = new Set<Listener>()
  let socket: { ws: WebSocket; tag: string } | null = null
  let opening: Promise<void> | null = null
  /** Counts openings and closes: an opening that finishes after a newer one began, or a close, gives up. */
  let attempt = 0
  let retryAt = 0
  let retryMs = FIRST_RETRY_MS

  const tell = (key: string | null): void => {
    for (const listener of [...listeners]) listener(key)
  }

  /** Changes may go unheard from now until a socket is open again. */
  const unheard = (): void => {
    retryAt = Date.now() + retryMs
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
    tell(null)
  }

  async function open(access: RelayAccess): Promise<void> {
    const mine = ++attempt
    const tag = randomTag()
    const upgrade = access
      .relay()
      .fetch(`https://changes.invalid/?tag=${tag}`, { headers: { upgrade: 'websocket' } })
    let ws: WebSocket
    try {
      const response = await within(upgrade, access.timeoutMs)
      if (response.status !== 101 || response.webSocket === null) {
        await response.body?.cancel()
        throw new Error(`the changes object answered ${response.status}`)
      }
      ws = response.webSocket
      ws.accept()
    } catch {
      // Too late, refused or unreachable: one accepted late is closed at once rather than left open.
      void upgrade.then(
        (late) => closeQuietly(late.webSocket),
        () => {},
      )
      if (mine === attempt) unheard()
      return
    }
    if (mine !== attempt) {
      closeQuietly(ws)
      return
    }
    ws.addEventListener('message', (event) => {
      if (socket?.ws === ws && typeof event.data === 'string') tell(event.data)
    })
    const lost = (): void => {
      if (socket?.ws !== ws) return
      socket = null
      unheard()
    }
    ws.addEventListener('close', () => {
      // Answers the relay's close frame, which workerd does by itself only from compatibility date 2026-04-07.
      closeQuietly(ws)
      lost()
    })
    ws.addEventListener('error', lost)
    socket = { ws, tag }
    retryMs = FIRST_RETRY_MS
    // Subscribed from now on: what changed before was not heard, so what the listeners hold may be stale.
    tell(null)
  }

  return {
    listen(listener) {
      if (listeners.size >= MAX_LISTENERS) {
        listener(null)
        return () => {}
      }
      const entry: Listener = (key) => listener(key)
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },

    join(access) {
      if (listeners.size === 0 || socket !== null || opening !== null || Date.now() < retryAt) return null
      const started = open(access).finally(() => {
        opening = null
      })
      opening = started
      return started
    },

    async release(access) {
      if (listeners.size > 0) return
      attempt++
      const current = socket
      socket = null
      retryAt = 0
      retryMs = FIRST_RETRY_MS
      // The socket belongs to the request that opened it: the relay closes it.
      if (current) await within(access.relay().disconnect(current.tag), access.timeoutMs).catch(() => {})
    },
  }
}

function randomTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Accepts `ws` if need be and closes it; nothing when it is closed already. */
function closeQuietly(ws: WebSocket | null): void {
  try {
    ws?.accept()
  } catch {
    // Accepted already.
  }
  try {
    ws?.close(1000)
  } catch {
    // Closed already.
  }
}
