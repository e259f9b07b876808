/**
 * The published packages of the workspace, discovered rather than listed: every `packages/<dir>` whose
 * package.json is not `private`, so a new package is covered by every release check the day it is added.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root: string = fileURLToPath(new URL('../../../', import.meta.url))

export interface PackageJSON {
  name: string
  version: string
  private?: boolean
  [field: string]: unknown
}

export interface PublishedPackage {
  /** Path from the repository root, e.g. `packages/core`. */
  directory: string
  /** Absolute path. */
  path: string
  json: PackageJSON
}

export function readJSON<T = PackageJSON>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

export function publishedPackages(): PublishedPackage[] {
  const found: PublishedPackage[] = []
  for (const entry of readdirSync(join(root, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const directory = `packages/${entry.name}`
    const path = join(root, directory)
    let json: PackageJSON
    try {
      json = readJSON(join(path, 'package.json'))
    } catch {
      continue
    }
    if (json.private !== true) found.push({ directory, path, json })
  }
  return found.sort((a, b) => a.directory.localeCompare(b.directory))
}
