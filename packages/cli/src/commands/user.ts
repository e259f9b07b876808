import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontClient } from '@workfront-oauth/core'
import type { SignedInUser } from '../config.ts'

/** Who the grant's session belongs to: `GET session`, then the user's name and e-mail (best effort). */
export async function fetchUser(oauth: WorkfrontOAuth, grantId: string): Promise<SignedInUser> {
  const client = createWorkfrontClient(oauth, grantId)
  const session = await client.session()
  const user = await client
    .get('user', session.userID, { fields: ['username', 'emailAddr'] })
    .catch(() => null)
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)
  return {
    id: session.userID,
    name: text(user?.name),
    username: text(user?.username) ?? text(session.username),
    email: text(user?.emailAddr),
  }
}

export function describeUser(user: SignedInUser | null): string {
  if (!user) return 'an unknown user'
  const contact = user.email ?? user.username
  if (user.name) return contact ? `${user.name} (${contact})` : user.name
  return contact ?? `user ${user.id}`
}

export function hostOf(origin: string): string {
  return new URL(origin).host
}
