/**
 * `connectionOwner` on real loopback connections: from this process (root), from a process of another user
 * (uid 65534), and with a socket table that is missing, empty, or taken before the connection existed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage, Server } from 'node:http'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { connectionOwner } from './peer-owner.ts'
import { rawGetAs } from './test/support.ts'

const OTHER = 65_534
let server: Server
let url: string
let work: string
/** The table each request is checked against (the kernel's unless a test says otherwise). */
let table = '/proc/net/tcp'

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wf-peer-owner-'))
  server = createServer((req: IncomingMessage, res) => {
    void connectionOwner(req.socket, table).then((owner) => res.end(JSON.stringify(owner)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await rm(work, { recursive: true, force: true })
})

function ownerSeenFromHere(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk
      })
      res.once('end', () => resolve(JSON.parse(body)))
    })
      .once('error', reject)
      .end()
  })
}

it("names this process's user (root here)", async () => {
  expect(await ownerSeenFromHere()).toBe(process.geteuid?.())
})

it('names the uid of a process of another user', async () => {
  expect(JSON.parse((await rawGetAs(OTHER, url)).body)).toBe(OTHER)
})

it('is unavailable without a table, or with one that does not list the listening socket (WSL 1 leaves it empty)', async () => {
  try {
    table = join(work, 'missing')
    expect(await ownerSeenFromHere()).toBe('unavailable')
    table = join(work, 'empty')
    await writeFile(
      table,
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n',
    )
    expect(await ownerSeenFromHere()).toBe('unavailable')
  } finally {
    table = '/proc/net/tcp'
  }
})

it('is unknown when the table lists the listener but not the connection', async () => {
  // A copy of the kernel's table taken before the connection: the listener is in it, the new socket is not.
  const before = join(work, 'before')
  // (copyFile copies nothing of a /proc file: it reports a size of 0.)
  await writeFile(before, await readFile('/proc/net/tcp'))
  try {
    table = before
    expect(await ownerSeenFromHere()).toBe('unknown')
  } finally {
    table = '/proc/net/tcp'
  }
})
