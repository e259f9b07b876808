/** The README's examples of each helper, as regions of one type-checked file. */
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '@workfront-oauth/core'
import type { WorkfrontEnv } from '@workfront-oauth/hono-adapter'
import { toHTTPException, workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'
import { html } from 'hono/html'

declare const oauth: WorkfrontOAuth
const auth = workfrontAuth({
  oauth,
  appOrigin: 'https://app.example.com',
  cookieSecrets: ['…32 characters…'],
})
const app = new Hono()

// #region inline
// One route, its middleware inline: the handler's c.var.workfront is typed.
app.get('/api/me', auth.requireAuth({ onUnauthenticated: 'json' }), async (c) => {
  const user = await auth.currentUser(c) // { userID, name, username, emailAddr }
  return c.json(user)
})
// #endregion

// #region current-user
const api = new Hono<WorkfrontEnv>()
api.use(auth.requireAuth({ onUnauthenticated: 'json' }))
api.get('/me', async (c) => {
  // Read from Workfront at sign-in (and again after each refresh), kept with the grant: no API call here.
  const user = await auth.currentUser(c)
  return c.json({ id: user?.userID, name: user?.name, email: user?.emailAddr })
})
// #endregion

// #region web
// The core's handler underneath, for what the middleware does not cover: who is signed in, from headers.
app.get('/api/signed-in', async (c) => {
  const session = await auth.web.getSession(c.req.raw)
  return c.json({ signedIn: session !== null, name: session?.user?.name ?? null })
})
// #endregion

// #region http-exception
app.get('/api/projects/:id', auth.requireAuth({ onUnauthenticated: 'json' }), async (c) => {
  try {
    return c.json(await c.var.workfront.get('proj', c.req.param('id')))
  } catch (error) {
    // A core error as Hono's HTTPException, with the status the core decides (here 502, 429, 401…).
    if (isWorkfrontOAuthError(error)) throw toHTTPException(error)
    throw error
  }
})
// #endregion

// #region render-error
const branded = workfrontAuth({
  oauth,
  appOrigin: 'https://app.example.com',
  cookieSecrets: ['…32 characters…'],
  signInUrl: '/', // multi-tenant: users name their org on the home page
  // The error table's row (title, hint, action) and the button that fits: 'Sign in again' → '/', …
  renderError: async (error, { status, info, link }) => {
    const page = await html`<h1>${info.title}</h1><p>${info.hint}</p><a href="${link.href}">${link.label}</a>
      <small>${error.code}</small>`
    return new Response(page, { status, headers: { 'content-type': 'text/html; charset=utf-8' } })
  },
})
// #endregion

// #region on-error
app.onError(auth.onError) // any WorkfrontOAuthError thrown in a handler becomes its page or JSON
app.get('/boom', () => {
  throw new WorkfrontOAuthError('rate_limited', 'Slow down') // → 429
})

// #endregion

export { api, branded }
