// GET /auth/login, GET /auth/callback, POST /auth/logout.
import { auth } from '../../../lib/auth.ts'

export const { GET, POST } = auth.handlers
