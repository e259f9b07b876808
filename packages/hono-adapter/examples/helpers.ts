/** The README's examples of each helper, as regions of one type-checked file. */
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '@workfront-oauth/core'
import type { WorkfrontEnv } from '@workfront-oauth/hono-adapter'
import { errorActionLink, errorAdvice, toHTTPException, workfrontAuth } from '@workfront-oauth/hono-adapter'
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
  // GET session, then GET user/<userID>; read once per request however often it is called.
  const user = await auth.currentUser(c)
  return c.json({ id: user?.userID, name: user?.name, email: user?.emailAddr })
})
// #endregion

// #region web
// The core's web flow, for what the routes do not cover: is this browser signed in, and as which grant?
app.get('/api/signed-in', async (c) => c.json({ signedIn: (await auth.web.session(c.req.raw)) !== null }))
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
  renderError: (c, error, status) => {
    const advice = errorAdvice(error.code) // { title, hint, action: 'sign-in' | 'retry' | 'home' }
    const link = errorActionLink(advice.action, {
      signInUrl: '/',
      basePath: '/auth',
      path: new URL(c.req.url).pathname,
      method: c.req.method,
    }) // { label: 'Sign in again', href: '/' }, …
    return c.html(
      html`<h1>${advice.title}</h1><p>${advice.hint}</p><a href="${link.href}">${link.label}</a>`,
      status,
    )
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
