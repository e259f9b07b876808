/**
 * What the two getting-started pages promise, walked the same way for both apps (Node and Workers): the
 * Workfront mock on a loopback port with the app registered, then a visit as a person makes it.
 */
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { expect } from 'vitest'
import { createBrowser, freePort, serveMock } from './http.ts'

export const CLIENT = { id: 'getting-started', secret: 'getting-started-secret' }

/** The variables of the pages' `.env` / `.dev.vars`, for an app at `publicUrl` and a mock at `workfront`. */
export function appVariables(publicUrl: string, workfront: string): Record<string, string> {
  return {
    PUBLIC_URL: publicUrl,
    WORKFRONT_BASE_URL: workfront,
    WORKFRONT_CLIENT_ID: CLIENT.id,
    WORKFRONT_CLIENT_SECRET: CLIENT.secret,
    SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    TOKEN_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  }
}

/** A free port for the app, and the mock serving on another one with the app's redirect URI registered. */
export async function setUpWorkfront(): Promise<{
  port: number
  publicUrl: string
  mock: WorkfrontMock
  origin: string
  close(): Promise<void>
}> {
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const mock = createWorkfrontMock({
    apps: [
      {
        clientId: CLIENT.id,
        clientSecrets: [CLIENT.secret],
        redirectUris: [`${publicUrl}/auth/callback`],
        type: 'web',
      },
    ],
  })
  const workfront = await serveMock(mock)
  return { port, publicUrl, mock, origin: workfront.origin, close: workfront.close }
}

/** Home → sign in through the mock's pages → projects → greeting → one refresh → sign out. */
export async function walkTheApp(publicUrl: string, mock: WorkfrontMock): Promise<void> {
  const browser = createBrowser(publicUrl)
  expect(await (await browser.request('/')).text()).toContain('Sign in with Workfront')
  const login = await browser.request('/auth/login?returnTo=/projects')
  expect(login.status).toBe(302)
  const callback = await completeAuthorization({ fetch }, login.headers.get('location')!, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  expect((await browser.request(callback)).headers.get('location')).toBe('/projects')
  expect(await (await browser.request('/projects')).text()).toContain('<li>Website Redesign (CUR)</li>')
  expect(await (await browser.request('/')).text()).toContain(`Hello ${DEMO_USER.name}`)

  mock.expireAllSessions() // the next page refreshes the token once
  expect((await browser.request('/projects')).status).toBe(200)
  expect(mock.counters().tokenCalls.refresh_token).toBe(1)

  expect((await browser.request('/auth/logout', { method: 'POST' })).status).toBe(303)
  expect((await browser.request('/projects')).headers.get('location')).toBe(
    '/auth/login?returnTo=%2Fprojects',
  )
}
