import type { MockApp, MockProject, MockUser } from './types'

/** Deterministic 32-hex Workfront-like IDs, so seeded data is stable across runs. */
function seedID(kind: string, n: number): string {
  return `${kind}${n.toString(16).padStart(32 - kind.length, '0')}`
}

/** The confidential web app of the demo (code flow with a client secret, rotation on). */
export const DEMO_WEB_APP: Readonly<MockApp> & { clientSecrets: string[] } = Object.freeze({
  clientId: 'demo-client',
  name: 'Workfront OAuth demo',
  clientSecrets: ['demo-secret'],
  redirectUris: ['http://127.0.0.1:8787/auth/callback', 'http://localhost:8787/auth/callback'],
  type: 'web',
  rotation: true,
})

/** The public single-page app of the demo (code flow with PKCE S256, no secret). */
export const DEMO_SPA_APP: Readonly<MockApp> = Object.freeze({
  clientId: 'demo-spa-client',
  name: 'Workfront OAuth demo (SPA)',
  redirectUris: ['http://127.0.0.1:8787/spa/callback', 'http://localhost:8787/spa/callback'],
  type: 'spa',
  rotation: true,
})

/** The demo org's Customer ID (the `iss` of its JWTs). Mock-only. */
export const DEMO_CUSTOMER_ID = '5e0c00000000000000000000000000c1'

/**
 * The demo key pair of the Machine to Machine app. Mock-only: never use these keys anywhere else. The
 * private key is exported from `@workfront-oauth/workfront-mock/testing` as `DEMO_M2M_PRIVATE_KEY`.
 */
export const DEMO_M2M_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvDmS5tHWvTDBV9884YlA
cw7SEMbzu31Pf1TIbKtlfI4Jn6dxO22pYvekJMQOHu+dy3P1TDGBBaAsZg0fzKVI
iBgkVhPBXwceGgBOu1Olz3huYrCmIrxerr2SWiJscbt1V6WKituh9tnBMLJ5o9gg
rANRGYezLpFE8HBtHZ5jIzdvnNa4H65GCGlFWCV73WRd0ZGwdEtl1m2zgJjs9sWE
f3Si4OwetzqeDtMGYq+kN+HhORRyUbgm9o3qwMRa8xlxCSHrONcUxzEK78hAccDw
J/gCmFmoHEjYLxkg1xG2i63/WrP2Ao7on26XujgGwTZqn69f4+zoxIODpB9bt4CQ
GwIDAQAB
-----END PUBLIC KEY-----
`

/** The demo user of the seeded users (mock-only credentials, not secret). */
export const DEMO_USER: Readonly<MockUser> = Object.freeze({
  id: seedID('5e0a', 1),
  username: 'demo@acme.test',
  password: 'demo',
  name: 'Dana Demo',
  email: 'demo@acme.test',
})

/** The Machine to Machine demo app: JWT exchange with a secret and the demo key, signed for the demo user. */
export const DEMO_M2M_APP: Readonly<MockApp> & { clientSecrets: string[] } = Object.freeze({
  clientId: 'demo-m2m-client',
  name: 'Workfront OAuth demo (server job)',
  clientSecrets: ['demo-m2m-secret'],
  redirectUris: [],
  type: 'm2m',
  publicKeys: [{ pem: DEMO_M2M_PUBLIC_KEY, userId: DEMO_USER.id }],
})

export function defaultApps(): MockApp[] {
  return [
    {
      ...DEMO_WEB_APP,
      clientSecrets: [...DEMO_WEB_APP.clientSecrets],
      redirectUris: [...DEMO_WEB_APP.redirectUris],
    },
    { ...DEMO_SPA_APP, redirectUris: [...DEMO_SPA_APP.redirectUris] },
    {
      ...DEMO_M2M_APP,
      clientSecrets: [...DEMO_M2M_APP.clientSecrets],
      redirectUris: [],
      publicKeys: DEMO_M2M_APP.publicKeys?.map((key) => ({ ...key })),
    },
  ]
}

/** The users the mock starts with (fresh copies). */
export function defaultUsers(): MockUser[] {
  return [
    { ...DEMO_USER },
    {
      id: seedID('5e0a', 2),
      username: 'alex@acme.test',
      password: 'alex-password',
      name: 'Alex Admin',
      email: 'alex@acme.test',
    },
    {
      id: seedID('5e0a', 3),
      username: 'sam@acme.test',
      password: 'sam-password',
      name: 'Sam Planner',
      email: 'sam@acme.test',
    },
  ]
}

const PROJECT_SEED: ReadonlyArray<[name: string, status: string, date: string, owner: number, pct: number]> =
  [
    ['Website Redesign', 'CUR', '2026-06-30', 1, 45],
    ['Q3 Campaign Launch', 'PLN', '2026-09-15', 2, 0],
    ['Mobile App v2', 'CUR', '2026-08-01', 1, 62],
    ['Brand Guidelines Refresh', 'CPL', '2026-02-27', 3, 100],
    ['Customer Portal', 'CUR', '2026-11-20', 2, 18],
    ['Data Warehouse Migration', 'ONH', '2026-12-18', 3, 30],
    ['Trade Show 2026', 'PLN', '2026-10-05', 1, 5],
    ['Onboarding Videos', 'CUR', '2026-05-29', 3, 80],
    ['Legacy CRM Sunset', 'DED', '2026-04-30', 2, 10],
    ['Annual Report', 'CPL', '2026-03-13', 1, 100],
    ['Partner API Integration', 'CUR', '2026-07-17', 2, 55],
    ['Office Move', 'PLN', '2026-12-04', 3, 0],
  ]

/** The projects the mock starts with (fresh copies). */
export function defaultProjects(): MockProject[] {
  return PROJECT_SEED.map(([name, status, date, owner, percentComplete], index) => ({
    ID: seedID('5e0b', index + 1),
    name,
    status,
    plannedCompletionDate: `${date}T17:00:00:000-0400`,
    ownerID: seedID('5e0a', owner),
    percentComplete,
  }))
}
