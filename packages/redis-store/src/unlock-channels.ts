/**
 * One shared subscriber connection for every waiter of a store (and for the watchers of changes): one SUBSCRIBE per channel however many
 * waiters wait on it (reference-counted), UNSUBSCRIBE when the last one leaves.
 *
 * When the connection drops, every waiter is woken: a release published while it is down is lost, and a
 * server restarted without persistence has lost its locks without publishing anything. Waking early is
 * harmless (the caller re-reads and waits again); sleeping through a release is not. Once the connection is
 * back, every channel is subscribed again and, once the server confirms, its listeners are told once more
 * that messages may have been lost: what they learnt while the connection was down may already be stale.
 */

/** The part of an ioredis `Redis`/`Cluster` that the channels use. */
export interface SubscriberConnection {
  subscribe(channel: string): Promise<unknown>
  unsubscribe(channel: string): Promise<unknown>
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'close' | 'ready', listener: () => void): unknown
  removeListener(event: 'message', listener: (channel: string, message: string) => void): unknown
  removeListener(event: 'close' | 'ready', listener: () => void): unknown
}

export interface Subscription {
  /** Settles once the server confirmed the subscription (shared by every waiter of the channel). */
  ready: Promise<void>
  /** Leaves the channel; the last listener to leave unsubscribes. Idempotent. */
  stop(): void
}

/** Called with each message of the channel, and with null when messages may have been lost. */
export type ChannelListener = (message: string | null) => void

export interface UnlockChannels {
  listen(channel: string, listener: ChannelListener): Subscription
  /**
   * Calls every listener (their waits end), forgets the channels and detaches from the connection.
   * Returns the channels that were subscribed, for the caller to unsubscribe (or to drop the connection).
   */
  close(): string[]
}

interface Channel {
  listeners: Set<ChannelListener>
  ready: Promise<void>
}

function ignore(): void {}

export function unlockChannels(connect: () => SubscriberConnection): UnlockChannels {
  let connection: SubscriberConnection | undefined
  const channels = new Map<string, Channel>()

  const onMessage = (channel: string, message: string): void => {
    const entry = channels.get(channel)
    if (entry) for (const listener of [...entry.listeners]) listener(message)
  }

  const lost = (entry: Channel): void => {
    for (const listener of [...entry.listeners]) listener(null)
  }
  // Set by a drop, cleared by the next `ready`: the first `ready` of the connection needs no resubscription.
  let dropped = false

  const onClose = (): void => {
    dropped = true
    for (const entry of channels.values()) lost(entry)
  }

  const onReady = (): void => {
    if (!dropped || !connection) return
    dropped = false
    const current = connection
    for (const [channel, entry] of channels) {
      // SUBSCRIBE is idempotent: sent beside ioredis' own resubscription, or instead of it when that is off.
      current.subscribe(channel).then(
        () => {
          if (channels.get(channel) === entry) lost(entry)
        },
        // Failed: the connection dropped again, and its `close` told the listeners already.
        ignore,
      )
    }
  }

  function subscriber(): SubscriberConnection {
    if (!connection) {
      connection = connect()
      connection.on('message', onMessage)
      connection.on('close', onClose)
      connection.on('ready', onReady)
    }
    return connection
  }

  return {
    listen(channel, listener) {
      let entry = channels.get(channel)
      if (!entry) {
        const created: Channel = { listeners: new Set(), ready: Promise.resolve() }
        // Commands on one connection run in order, so a SUBSCRIBE sent after the UNSUBSCRIBE of an earlier
        // entry of the same channel still leaves the channel subscribed.
        created.ready = Promise.resolve()
          .then(() => subscriber().subscribe(channel))
          .then(() => undefined)
        // A failed subscription is forgotten, so that the next waiter tries again.
        void created.ready.catch(() => {
          if (channels.get(channel) === created) channels.delete(channel)
        })
        channels.set(channel, created)
        entry = created
      }
      const current = entry
      current.listeners.add(listener)
      return {
        ready: current.ready,
        stop() {
          if (!current.listeners.delete(listener)) return
          if (current.listeners.size > 0 || channels.get(channel) !== current) return
          channels.delete(channel)
          void connection?.unsubscribe(channel).catch(ignore)
        },
      }
    },

    close() {
      const open = [...channels.entries()]
      channels.clear()
      for (const [, entry] of open) lost(entry)
      connection?.removeListener('message', onMessage)
      connection?.removeListener('close', onClose)
      connection?.removeListener('ready', onReady)
      connection = undefined
      return open.map(([channel]) => channel)
    },
  }
}
