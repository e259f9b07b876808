import type { GrantInfo, WorkfrontClient, WorkfrontObject } from '@workfront-oauth/core'
import { Hono } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import type { WorkfrontAuth } from './index.ts'

declare const auth: WorkfrontAuth

describe('context variable', () => {
  it('types c.var.workfront as the Workfront client', () => {
    const app = new Hono()
    app.use('/api/*', auth.requireAuth({ onUnauthenticated: 'json' }))
    app.get('/api/projects', async (c) => {
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

  it('accepts only the documented unauthenticated modes', () => {
    // @ts-expect-error not a mode
    auth.requireAuth({ onUnauthenticated: 'ignore' })
    expectTypeOf<GrantInfo>().not.toHaveProperty('accessToken')
  })
})
