/** What the global setup of the workerd tests hands to them (`inject('redisUrl')`). */
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

export {}
