'use server'
// Sign-out as a Server Action: ends the Workfront session, deletes the grant, clears the cookie.
import { cookies, headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { auth } from '../lib/auth.ts'

export async function signOut(): Promise<void> {
  await auth.signOut({ headers: await headers(), cookies: await cookies() })
  redirect('/')
}
