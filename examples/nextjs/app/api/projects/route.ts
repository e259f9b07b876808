// An API route: the guard answers 401 without a session; errors that end the session clear it.
import { auth } from '../../../lib/auth.ts'

export async function GET(request: Request): Promise<Response> {
  const { session, response } = await auth.guard(request, { onUnauthenticated: 'json' })
  if (response) return response
  try {
    return Response.json(await session.client.search('proj', { fields: ['status'], sort: 'name', limit: 50 }))
  } catch (error) {
    return auth.errorResponse(error, request, { onUnauthenticated: 'json' })
  }
}
