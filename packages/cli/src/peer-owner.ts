/**
 * Who opened a loopback connection. Every local user can connect to `127.0.0.1:<port>`; on Linux the kernel's
 * socket table (`/proc/net/tcp`, readable by all) lists each socket with the uid that created it, so the
 * listener can tell the user's own browser from another user's program. Other systems have no such table
 * readable without privileges (macOS, Windows; WSL 1 leaves it empty): there the owner is `unavailable`.
 */
import { readFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { endianness } from 'node:os'

/**
 * The uid of the process at the other end of `socket` (a connection accepted on 127.0.0.1); `unknown` when the
 * table is usable but has no such socket; `unavailable` when there is no usable table (it must list the
 * listening socket itself).
 */
export async function connectionOwner(
  socket: Socket,
  table = '/proc/net/tcp',
): Promise<number | 'unknown' | 'unavailable'> {
  const local = tableAddress(socket.localAddress, socket.localPort)
  const peer = tableAddress(socket.remoteAddress, socket.remotePort)
  let text: string
  try {
    text = await readFile(table, 'utf8')
  } catch {
    return 'unavailable'
  }
  let listening = false
  let owner: number | 'unknown' = 'unknown'
  // `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid …` (proc_net_tcp.rst).
  for (const line of text.split('\n').slice(1)) {
    const [, from, to, state, , , , uid] = line.trim().split(/\s+/)
    if (from === local && to === '00000000:0000' && state === '0A') listening = true
    else if (peer !== null && from === peer && to === local) owner = Number(uid)
  }
  if (!listening || local === null) return 'unavailable'
  return Number.isInteger(owner) ? owner : 'unknown'
}

/**
 * An IPv4 address and port as the table writes them: the address's four bytes read as one native-endian
 * integer, then the port, both in upper-case hex (`127.0.0.1:8976` is `0100007F:2310` on x86).
 */
function tableAddress(address: string | undefined, port: number | undefined): string | null {
  const bytes = (address ?? '').split('.').map(Number)
  if (bytes.length !== 4 || bytes.some((b) => !(Number.isInteger(b) && b >= 0 && b <= 255))) return null
  if (port === undefined) return null
  const buffer = Buffer.from(bytes)
  const value = endianness() === 'LE' ? buffer.readUInt32LE(0) : buffer.readUInt32BE(0)
  const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0')
  return `${hex(value, 8)}:${hex(port, 4)}`
}
