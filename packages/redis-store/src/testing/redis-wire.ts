/**
 * Reaching a throwaway `redis-server` without a client: PING, one command over a fresh connection with just
 * enough RESP for the cluster's setup, and a pause between tries.
 */
import { createConnection } from 'node:net'

/** The only address the throwaway servers listen on. */
export const HOST = '127.0.0.1'

/** Whether the server on `port` answers PING. */
export async function ping(port: number): Promise<boolean> {
  const reply = await command(port, ['PING']).catch(() => '')
  return reply === 'PONG'
}

/**
 * Sends one command over a fresh connection and returns the reply as text: enough RESP for PING, CLUSTER
 * INFO/MEET/ADDSLOTSRANGE (simple strings, errors and bulk strings).
 */
export function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port })
    let data = Buffer.alloc(0)
    const fail = (error: Error): void => {
      socket.destroy()
      reject(error)
    }
    socket.setTimeout(2000, () => fail(new Error(`no reply from 127.0.0.1:${port}`)))
    socket.once('error', fail)
    socket.once('connect', () => {
      const encoded = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')
      socket.write(`*${args.length}\r\n${encoded}`)
    })
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const reply = parseReply(data)
      if (reply === undefined) return
      socket.end()
      if (reply instanceof Error) reject(reply)
      else resolve(reply)
    })
  })
}

/** One RESP reply from the start of `data`, or undefined until all of it has arrived. */
function parseReply(data: Buffer): string | Error | undefined {
  const lineEnd = data.indexOf('\r\n')
  if (lineEnd < 0) return undefined
  const line = data.subarray(1, lineEnd).toString()
  switch (String.fromCharCode(data[0] ?? 0)) {
    case '+':
      return line
    case '-':
      return new Error(line)
    case '$':
    case '=': {
      const length = Number(line)
      if (length < 0) return ''
      if (data.length < lineEnd + 2 + length) return undefined
      return data.subarray(lineEnd + 2, lineEnd + 2 + length).toString()
    }
    default:
      return new Error(`unexpected reply: ${line}`)
  }
}

/** Throws unless the reply is `OK`. */
export function expectOK(reply: string): void {
  if (reply !== 'OK') throw new Error(`unexpected reply: ${reply}`)
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
