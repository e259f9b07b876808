// Before a page renders: no session (or one whose grant is gone) → to sign in, the dead cookie cleared.
import { type NextRequest, NextResponse } from 'next/server'
import { auth } from './lib/auth.ts'

export async function proxy(request: NextRequest): Promise<Response> {
  const { response } = await auth.guard(request)
  if (!response) return NextResponse.next()
  const location = response.headers.get('location') // a proxy's redirect must be absolute in Next.js
  if (location) response.headers.set('location', new URL(location, request.url).href)
  return response
}

export const config = { matcher: '/projects/:path*' }
