/**
 * A throwaway npm registry for the publish rehearsal: verdaccio 5 in this process, on a free loopback port,
 * storing into a temporary directory. It serves only the `@workfront-oauth` scope (nothing is proxied);
 * installs take every other package from the user's usual registry, as they will after a real release.
 * With `everything`, it takes any package (and large ones: Workers' runtime is tens of megabytes), for a
 * test whose third-party packages are published into it too (`mirror.ts`), so that it needs no other.
 */
import { writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { runServer } from 'verdaccio'

export interface LocalRegistry {
  url: string
  /** A token of a user allowed to publish. */
  token: string
  close(): Promise<void>
}

export async function startRegistry(
  directory: string,
  options: { everything?: boolean } = {},
): Promise<LocalRegistry> {
  const config = join(directory, 'config.yaml')
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(directory, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(directory, 'htpasswd'))}`,
      '    algorithm: bcrypt',
      'uplinks: {}',
      'packages:',
      "  '@workfront-oauth/*':",
      '    access: $all',
      '    publish: $authenticated',
      ...(options.everything
        ? ["  '**':", '    access: $all', '    publish: $authenticated', 'max_body_size: 1000mb']
        : []),
      'web:',
      '  enable: false',
      'logs: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  )
  const app = await runServer(config)
  const server: Server = await new Promise((resolve, reject) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening))
    listening.once('error', reject)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  try {
    // What `npm adduser` does: create the user, receive a token.
    const response = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password' }),
    })
    const { token } = (await response.json()) as { token?: string }
    if (!response.ok || !token)
      throw new Error(`the local registry refused to create a user: ${response.status}`)
    return { url, token, close }
  } catch (error) {
    await close()
    throw error
  }
}
