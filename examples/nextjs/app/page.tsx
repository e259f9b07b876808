// The home page, a server component: who is signed in, from the request's headers.
import { headers } from 'next/headers'
import { auth } from '../lib/auth.ts'
import { signOut } from './actions.ts'

export default async function Home() {
  const session = await auth.getSession({ headers: await headers() })
  if (!session) return <a href="/auth/login?returnTo=/projects">Sign in with Workfront</a>
  return (
    <>
      <h1>Hello {session.user?.name}</h1>
      <p>
        <a href="/projects">Your projects</a>
      </p>
      <form action={signOut}>
        <button type="submit">Sign out</button>
      </form>
    </>
  )
}
