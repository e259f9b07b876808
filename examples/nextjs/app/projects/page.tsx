// A page for signed-in users only: proxy.ts sends everyone else to sign in.
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { auth } from '../../lib/auth.ts'

export default async function Projects() {
  const session = await auth.getSession({ headers: await headers() })
  if (!session) redirect('/auth/login?returnTo=/projects')
  const projects = await session.client.search('proj', { fields: ['status'], sort: 'name', limit: 50 })
  return (
    <ul>
      {projects.map((project) => (
        <li key={project.ID}>{`${project.name} (${project.status})`}</li>
      ))}
    </ul>
  )
}
