/**
 * @module `@workfront-oauth/cli`: the `workfront` command (see the README) and, for programs that want the
 * same storage, the file `StoragePort` it keeps its grants in.
 */
export type { FileStoreOptions } from './file-store.ts'
export { fileStore } from './file-store.ts'
export { InsecureFileError } from './permissions.ts'
