// The app itself, without any sign-in code: a home page, and a page and an API that need a session.
import type { Session, WebApp } from '@workfront-oauth/core'
import { WorkfrontOAuthError } from '@workfront-oauth/core'

export const app: WebApp = async (request, session) => {
  const { pathname } = new URL(request.url)
  if (pathname === '/') return page(session ? home(session) : signInLink)
  // auth.serve() answers this: a page goes to sign in (and back here afterwards), an API call gets 401.
  if (!session) throw new WorkfrontOAuthError('unauthenticated', 'Sign in with Workfront to continue')
  const projects = () => session.client.search('proj', { fields: ['status'], sort: 'name', limit: 50 })
  if (pathname === '/api/projects') return Response.json(await projects())
  if (pathname === '/projects') {
    return page(
      `<ul>${(await projects()).map((p) => `<li>${escapeHTML(`${p.name} (${p.status})`)}</li>`).join('')}</ul>`,
    )
  }
  return new Response('Not found', { status: 404 })
}

const signInLink = '<a href="/auth/login?returnTo=/projects">Sign in with Workfront</a>'

function home(session: Session): string {
  return `<h1>Hello ${escapeHTML(session.user?.name ?? 'there')}</h1>
<p><a href="/projects">Your projects</a></p>
<form method="post" action="/auth/logout"><button>Sign out</button></form>`
}

function page(body: string): Response {
  return new Response(`<!doctype html><meta charset="utf-8"><title>Projects</title>${body}`, {
    headers: { 'content-type': 'text/html; charset=utf-8' },
  })
}

function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
