import type { GrantInfo, WorkfrontClient, WorkfrontObject } from '@workfront-oauth/core'
import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import type { OptionalWorkfrontEnv, WorkfrontAuth, WorkfrontEnv, WorkfrontUser } from './index.ts'

declare const auth: WorkfrontAuth

describe('context variable', () => {
  it('types c.var.workfront as the Workfront client behind requireAuth()', () => {
    const api = new Hono<WorkfrontEnv>()
    api.use(auth.requireAuth({ onUnauthenticated: 'json' }))
    api.get('/projects', async (c) => {
      expectTypeOf(c.var.workfront).toEqualTypeOf<WorkfrontClient>()
      expectTypeOf(c.get('workfront')).toEqualTypeOf<WorkfrontClient>()
      const projects = await c.var.workfront.search<WorkfrontObject & { status: string }>('proj', {
        fields: ['status'],
      })
      expectTypeOf(projects).toEqualTypeOf<Array<WorkfrontObject & { status: string }>>()
      expectTypeOf(await c.var.workfront.count('proj')).toEqualTypeOf<number>()
      expectTypeOf(c.var.workfront.get('proj', 'id')).resolves.toEqualTypeOf<WorkfrontObject>()
      return c.json(projects)
    })
  })

  it('types it from inline middleware too', () => {
    new Hono().get('/me', auth.requireAuth(), (c) => {
      expectTypeOf(c.var.workfront).toEqualTypeOf<WorkfrontClient>()
      return c.text('ok')
    })
  })

  it('types it as possibly absent behind optionalAuth()', () => {
    const site = new Hono<OptionalWorkfrontEnv>()
    site.use(auth.optionalAuth())
    site.get('/', (c) => {
      expectTypeOf(c.var.workfront).toEqualTypeOf<WorkfrontClient | undefined>()
      // @ts-expect-error may be absent: check before use
      void c.var.workfront.search('proj')
      return c.text(c.var.workfront ? 'signed in' : 'signed out')
    })
    new Hono().get('/inline', auth.optionalAuth(), (c) => {
      expectTypeOf(c.var.workfront).toEqualTypeOf<WorkfrontClient | undefined>()
      return c.text('ok')
    })
  })

  it('does not put workfront on routes without the middleware', () => {
    new Hono().get('/public', (c) => {
      // @ts-expect-error no middleware, no variable
      void c.var.workfront.grantId
      return c.text('ok')
    })
  })

  it('gives currentUser() the user or null', () => {
    new Hono().get('/me', auth.optionalAuth(), async (c) => {
      expectTypeOf(auth.currentUser(c)).resolves.toEqualTypeOf<WorkfrontUser | null>()
      return c.text('ok')
    })
  })

  it('accepts only the documented unauthenticated modes', () => {
    // @ts-expect-error not a mode
    auth.requireAuth({ onUnauthenticated: 'ignore' })
    expectTypeOf<GrantInfo>().not.toHaveProperty('accessToken')
  })
})
