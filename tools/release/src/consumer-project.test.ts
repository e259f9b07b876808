import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  describeDrift,
  forCommit,
  type Lockfile,
  lockDrift,
  offLock,
  pinOwnPackages,
  type RegistryManifest,
} from './consumer-project.ts'

const lock: Lockfile = {
  name: 'rehearsal-node-app',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { dependencies: { '@workfront-oauth/redis-store': '0.1.0', '@types/node': '^20.19.0' } },
    'node_modules/@workfront-oauth/redis-store': {
      version: '0.1.0',
      license: 'MIT',
      dependencies: { '@workfront-oauth/core': '^0.1.0' },
    },
    'node_modules/ioredis': {
      version: '6.1.0',
      resolved: 'https://registry.npmjs.org/ioredis/-/ioredis-6.1.0.tgz',
    },
    'node_modules/@types/node': { version: '20.19.43' },
  },
}

const manifest = (version: string, extra: Partial<RegistryManifest> = {}): RegistryManifest => ({
  version,
  dist: {
    tarball: `http://127.0.0.1:4873/@workfront-oauth/redis-store/-/redis-store-${version}.tgz`,
    integrity: 'sha512-x',
  },
  license: 'MIT',
  dependencies: { '@workfront-oauth/core': `^${version}`, '@types/redis-errors': '^1.2.3' },
  peerDependencies: { ioredis: '^5.3.0 || ^6.0.0' },
  ...extra,
})

describe('pinOwnPackages', () => {
  it('describes our packages as the local registry serves them and leaves third-party entries alone', () => {
    const pinned = pinOwnPackages(lock, new Map([['@workfront-oauth/redis-store', manifest('0.2.0')]]))
    expect(pinned.packages['node_modules/@workfront-oauth/redis-store']).toEqual({
      version: '0.2.0',
      resolved: 'http://127.0.0.1:4873/@workfront-oauth/redis-store/-/redis-store-0.2.0.tgz',
      integrity: 'sha512-x',
      license: 'MIT',
      dependencies: { '@workfront-oauth/core': '^0.2.0', '@types/redis-errors': '^1.2.3' },
      peerDependencies: { ioredis: '^5.3.0 || ^6.0.0' },
    })
    expect(pinned.packages['node_modules/ioredis']).toBe(lock.packages['node_modules/ioredis'])
    expect(pinned.packages['']?.dependencies).toEqual({
      '@workfront-oauth/redis-store': '0.2.0',
      '@types/node': '^20.19.0',
    })
  })

  it('refuses a lock that lacks a published package, or names one that is not published', () => {
    expect(() =>
      pinOwnPackages(
        lock,
        new Map([
          ['@workfront-oauth/redis-store', manifest('0.1.0')],
          ['@workfront-oauth/core', manifest('0.1.0')],
        ]),
      ),
    ).toThrow('the lock lacks @workfront-oauth/core')
    expect(() => pinOwnPackages(lock, new Map())).toThrow('the workspace does not publish')
  })
})

it('forCommit drops what changes with every publish from our entries only', () => {
  const pinned = pinOwnPackages(lock, new Map([['@workfront-oauth/redis-store', manifest('0.1.0')]]))
  const committed = forCommit(pinned)
  expect(committed.packages['node_modules/@workfront-oauth/redis-store']).not.toHaveProperty('resolved')
  expect(committed.packages['node_modules/@workfront-oauth/redis-store']).not.toHaveProperty('integrity')
  expect(committed.packages['node_modules/ioredis']?.resolved).toMatch(/^https:/)
})

describe('lockDrift', () => {
  const latest: Lockfile = {
    ...lock,
    packages: {
      ...lock.packages,
      'node_modules/@workfront-oauth/redis-store': { version: '0.9.0' },
      'node_modules/ioredis': { version: '6.2.0' },
      'node_modules/redis-errors': { version: '1.2.0' },
    },
  }

  it('lists third-party packages whose version changed, appeared or went', () => {
    const { 'node_modules/@types/node': _gone, ...rest } = latest.packages
    const drift = lockDrift(lock, { ...latest, packages: rest })
    expect(drift).toEqual([
      { path: 'node_modules/@types/node', locked: '20.19.43', resolved: null },
      { path: 'node_modules/ioredis', locked: '6.1.0', resolved: '6.2.0' },
      { path: 'node_modules/redis-errors', locked: null, resolved: '1.2.0' },
    ])
    expect(describeDrift('node-app/', drift)).toBe(
      [
        'node-app/: a fresh resolution differs from the committed lock in 3:',
        '  @types/node: 20.19.43 → (gone)',
        '  ioredis: 6.1.0 → 6.2.0',
        '  redis-errors: (absent) → 1.2.0',
      ].join('\n'),
    )
    expect(describeDrift('worker/', [])).toBe('worker/: a fresh resolution gives exactly the committed lock')
  })

  it('offLock counts only what is installed: optional packages of other platforms are absent, not off', () => {
    const installed: Lockfile = { ...lock, packages: { 'node_modules/ioredis': { version: '6.1.0' } } }
    expect(offLock(lock, installed)).toEqual([])
    expect(offLock(lock, latest)).toEqual([
      { path: 'node_modules/ioredis', locked: '6.1.0', resolved: '6.2.0' },
      { path: 'node_modules/redis-errors', locked: null, resolved: '1.2.0' },
    ])
  })
})

describe.each(['node-app', 'worker'])('the committed lock of fixtures/%s', (fixture) => {
  const read = <T>(file: string): T =>
    JSON.parse(readFileSync(new URL(`../fixtures/${fixture}/${file}`, import.meta.url), 'utf8')) as T
  const committed = read<Lockfile>('package-lock.json')
  const json = read<{ dependencies: Record<string, string> }>('package.json')

  it('matches its package.json and names no tarball or integrity of ours', () => {
    expect(committed.packages['']?.dependencies).toEqual(json.dependencies)
    expect(forCommit(committed)).toEqual(committed)
  })

  // npm 11 leaves `resolved` out for the default registry: `npm ci` fetches name@version from it and checks
  // the integrity, so a version and an integrity are what pin a package.
  it('pins every third-party package it installs to a version and an integrity', () => {
    const thirdParty = Object.entries(committed.packages).filter(
      ([path]) => path !== '' && !path.includes('node_modules/@workfront-oauth/'),
    )
    expect(thirdParty.map(([path]) => path)).toContain(
      fixture === 'node-app' ? 'node_modules/ioredis' : 'node_modules/hono',
    )
    for (const [path, entry] of thirdParty) {
      expect(entry.version, path).toMatch(/^\d+\.\d+\.\d+/)
      expect(entry.integrity, path).toMatch(/^sha(512|1)-/)
      if (entry.resolved !== undefined)
        expect(entry.resolved, path).toMatch(/^https:\/\/registry\.npmjs\.org\//)
    }
  })
})
