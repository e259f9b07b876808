import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { WorkfrontOAuthOptions } from './client.ts'
import { createWorkfrontOAuth } from './client.ts'
import { base64 } from './encoding.ts'
import type { ErrorCode } from './errors.ts'
import { isWorkfrontOAuthError } from './errors.ts'
import type { CallbackParams } from './machine.ts'
import { AUTHORIZE_PATH, TOKEN_PATH } from './machine.ts'
import { memoryStore } from './memory-store.ts'
import type { HTTPClient } from './ports.ts'
import type { ResolveTenantInput, TenantResolution } from './tenant.ts'
import {
  candidateOrigins,
  hostMatches,
  isDNSLabel,
  isHostAllowed,
  isLoopbackHost,
  parseBaseURL,
  parseTenantInput,
  resolveTenant,
  WORKFRONT_HOST_PATTERNS,
} from './tenant.ts'

function expectFailure(resolution: TenantResolution, code: ErrorCode): void {
  expect(resolution.ok).toBe(false)
  if (resolution.ok) return
  expect(isWorkfrontOAuthError(resolution.error, code)).toBe(true)
}

describe('isDNSLabel', () => {
  it.each(['acme', 'a', '0', 'a-b', 'a--b', 'xn--bcher-kva', 'x'.repeat(63)])('accepts %j', (label) => {
    expect(isDNSLabel(label)).toBe(true)
  })
  it.each([
    '',
    '-a',
    'a-',
    'A',
    'Acme',
    'a.b',
    'a_b',
    'x'.repeat(64),
    'é',
    'a b',
    'a\n',
    '*',
    'a:1',
    'a@b',
    '%61',
  ])('refuses %j', (label) => {
    expect(isDNSLabel(label)).toBe(false)
  })
})

describe('hostMatches and isHostAllowed', () => {
  it.each([
    ['acme.my.workfront.com', '*.my.workfront.com'],
    ['a.my.workfront.com', '*.my.workfront.com'],
    ['acme.my.workfront.com', '*.MY.Workfront.com'],
    ['acme.my.workfront.adobe.com', '*.my.workfront.adobe.com'],
    ['mock.local', 'mock.local'],
    ['mock.local', 'MOCK.local'],
  ])('%s matches %s', (host, pattern) => {
    expect(hostMatches(host, pattern)).toBe(true)
  })

  it.each([
    ['my.workfront.com', '*.my.workfront.com'],
    ['.my.workfront.com', '*.my.workfront.com'],
    ['a.b.my.workfront.com', '*.my.workfront.com'],
    ['evilmy.workfront.com', '*.my.workfront.com'],
    ['acme.my.workfront.com.evil.com', '*.my.workfront.com'],
    ['acme.my.workfront.com.', '*.my.workfront.com'],
    ['acme.my.workfront.com:443', '*.my.workfront.com'],
    ['-x.my.workfront.com', '*.my.workfront.com'],
    ['acme_x.my.workfront.com', '*.my.workfront.com'],
    ['acme.preview.workfront.com', '*.my.workfront.com'],
    ['acme.my.workfront.com', 'my.workfront.com'],
    ['sub.mock.local', 'mock.local'],
    ['mock.local', '*.mock.local'],
  ])('%s does not match %s', (host, pattern) => {
    expect(hostMatches(host, pattern)).toBe(false)
  })

  it('allows every public host family by default, classic and Unified Experience', () => {
    for (const lane of ['my', 'preview', 'sb01', 'sb02']) {
      for (const suffix of ['workfront.com', 'workfront.adobe.com']) {
        expect(isHostAllowed(`acme.${lane}.${suffix}`, WORKFRONT_HOST_PATTERNS)).toBe(true)
      }
    }
    expect(isHostAllowed('acme.sb03.workfront.adobe.com', WORKFRONT_HOST_PATTERNS)).toBe(false)
  })

  it('allows a host matching any pattern, and nothing with no patterns', () => {
    expect(isHostAllowed('acme.sb02.workfront.com', WORKFRONT_HOST_PATTERNS)).toBe(true)
    expect(isHostAllowed('acme.sb03.workfront.com', WORKFRONT_HOST_PATTERNS)).toBe(false)
    expect(isHostAllowed('acme.my.workfront.com', [])).toBe(false)
  })
})

describe('isLoopbackHost', () => {
  it.each(['localhost', '127.0.0.1', '127.1.2.3', '127.255.255.255', '[::1]', '::1'])(
    '%s is loopback',
    (h) => {
      expect(isLoopbackHost(h)).toBe(true)
    },
  )
  it.each([
    '127.0.0.256',
    '128.0.0.1',
    '0.0.0.0',
    '127.0.0.1.evil.com',
    'localhost.evil.com',
    'evil.localhost.com',
    '[::2]',
    '',
  ])('%s is not loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(false)
  })
})

describe('parseBaseURL', () => {
  it.each([
    ['https://acme.my.workfront.com', 'https://acme.my.workfront.com'],
    ['https://acme.my.workfront.com/', 'https://acme.my.workfront.com'],
    ['HTTPS://ACME.My.Workfront.COM', 'https://acme.my.workfront.com'],
    ['https://acme.my.workfront.com:443', 'https://acme.my.workfront.com'],
    ['https://wf-proxy.example.com:8443', 'https://wf-proxy.example.com:8443'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://localhost:4010/', 'http://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
  ])('accepts %s as %s', (input, origin) => {
    expect(parseBaseURL(input)).toBe(origin)
  })

  it.each([
    'http://acme.my.workfront.com',
    'http://10.0.0.1:4010',
    'http://127.0.0.1.nip.io',
    'ftp://acme.my.workfront.com',
    'https://acme.my.workfront.com/attask',
    'https://acme.my.workfront.com/?x=1',
    'https://acme.my.workfront.com/#top',
    'https://user@acme.my.workfront.com',
    'https://user:pw@acme.my.workfront.com',
    'acme.my.workfront.com',
    '',
    'not a url',
  ])('refuses %j', (input) => {
    expect(() => parseBaseURL(input, 'entryUrl')).toThrow(
      expect.objectContaining({ name: 'WorkfrontOAuthError', code: 'invalid_options' }),
    )
  })

  it('names the option in its message', () => {
    expect(() => parseBaseURL('http://evil.com', 'entryUrl')).toThrow(/entryUrl/)
  })
})

describe('candidateOrigins', () => {
  it('joins a domain and a lane with each Workfront suffix, most likely first', () => {
    expect(candidateOrigins('acme', 'my')).toEqual([
      'https://acme.my.workfront.com',
      'https://acme.my.workfront.adobe.com',
    ])
    expect(candidateOrigins('ACME', 'Preview')).toEqual([
      'https://acme.preview.workfront.com',
      'https://acme.preview.workfront.adobe.com',
    ])
  })

  it.each([
    ['', 'my'],
    ['acme', ''],
    ['acme.evil.com', 'my'],
    ['acme', 'my.evil'],
    ['evil.com/', 'my'],
    ['a@evil.com', 'my'],
    ['acme', 'my:443'],
    ['acme%2eevil', 'my'],
    ['acme', 'my#'],
    ['acme ', 'my'],
    ['ａｃｍｅ', 'my'],
    ['x'.repeat(64), 'my'],
  ])('refuses domain %j with lane %j', (domain, lane) => {
    expect(candidateOrigins(domain, lane)).toBeNull()
  })
})

describe('resolveTenant', () => {
  const multi = (
    domain: string | null,
    lane: string | null,
    allowedHosts: readonly string[] = ['*.my.workfront.com', '*.preview.workfront.com'],
  ) => resolveTenant({ domain, lane, expectedOrigin: null, allowedHosts, fixed: false })

  describe('multi-tenant, tenant not known before the callback', () => {
    it('builds the origin from the labels and checks it against the allowlist', () => {
      expect(multi('acme', 'my')).toEqual({ ok: true, origin: 'https://acme.my.workfront.com' })
      expect(multi('acme', 'preview')).toEqual({ ok: true, origin: 'https://acme.preview.workfront.com' })
      expect(multi('ACME', 'MY')).toEqual({ ok: true, origin: 'https://acme.my.workfront.com' })
    })

    it('reads an absent lane as production', () => {
      expect(multi('acme', null)).toEqual({ ok: true, origin: 'https://acme.my.workfront.com' })
    })

    it('picks the Unified Experience suffix when only it is allowed', () => {
      expect(multi('acme', 'my', ['*.my.workfront.adobe.com'])).toEqual({
        ok: true,
        origin: 'https://acme.my.workfront.adobe.com',
      })
    })

    it('never guesses the host family: both families allowed and the login not bound → tenant_ambiguous', () => {
      for (const lane of ['my', 'preview', 'sb01', 'sb02']) {
        expectFailure(multi('acme', lane, WORKFRONT_HOST_PATTERNS), 'tenant_ambiguous')
      }
      // One family configured by the app: no guess, the app named it.
      expect(multi('acme', 'sb02', ['*.sb02.workfront.adobe.com'])).toEqual({
        ok: true,
        origin: 'https://acme.sb02.workfront.adobe.com',
      })
      // Bound to a Unified Experience tenant when the login started: that origin, whatever the allowlist.
      expect(
        resolveTenant({
          domain: 'acme',
          lane: 'preview',
          expectedOrigin: 'https://acme.preview.workfront.adobe.com',
          allowedHosts: WORKFRONT_HOST_PATTERNS,
          fixed: false,
        }),
      ).toEqual({ ok: true, origin: 'https://acme.preview.workfront.adobe.com' })
    })

    it('refuses a lane outside the allowlist', () => {
      expectFailure(multi('acme', 'sb01'), 'tenant_not_allowed')
      expectFailure(multi('acme', 'my', []), 'tenant_not_allowed')
    })

    it('refuses an absent tenant and malformed labels', () => {
      expectFailure(multi(null, null), 'invalid_tenant')
      expectFailure(multi(null, 'my'), 'invalid_tenant')
      expectFailure(multi('', 'my'), 'invalid_tenant')
      expectFailure(multi('evil.com', 'my'), 'invalid_tenant')
      expectFailure(multi('acme', 'my.evil.com'), 'invalid_tenant')
      expectFailure(multi('evil.com#', 'my'), 'invalid_tenant')
    })
  })

  describe('bound to the tenant the login started with', () => {
    const bound = (domain: string | null, lane: string | null, fixed = false) =>
      resolveTenant({
        domain,
        lane,
        expectedOrigin: 'https://acme.preview.workfront.com',
        allowedHosts: ['*.my.workfront.com', '*.preview.workfront.com'],
        fixed,
      })

    it.each([false, true])('accepts matching or absent labels (fixed: %s)', (fixed) => {
      expect(bound('acme', 'preview', fixed)).toEqual({
        ok: true,
        origin: 'https://acme.preview.workfront.com',
      })
      expect(bound('Acme', 'PREVIEW', fixed)).toEqual({
        ok: true,
        origin: 'https://acme.preview.workfront.com',
      })
      expect(bound(null, null, fixed)).toEqual({ ok: true, origin: 'https://acme.preview.workfront.com' })
    })

    it.each([false, true])('refuses labels naming another tenant (fixed: %s)', (fixed) => {
      expectFailure(bound('evil', 'preview', fixed), 'tenant_mismatch')
      expectFailure(bound('acme', 'my', fixed), 'tenant_mismatch')
      expectFailure(bound('acme', null, fixed), 'tenant_mismatch')
      expectFailure(bound('acme', 'sb01', fixed), 'tenant_mismatch')
    })

    it.each([false, true])('refuses malformed labels (fixed: %s)', (fixed) => {
      expectFailure(bound('acme.preview.workfront.com', 'x', fixed), 'invalid_tenant')
      expectFailure(bound(null, '', fixed), 'invalid_tenant')
    })

    it('accepts a Unified Experience origin named by its labels', () => {
      const resolution = resolveTenant({
        domain: 'acme',
        lane: 'my',
        expectedOrigin: 'https://acme.my.workfront.adobe.com',
        allowedHosts: [],
        fixed: true,
      })
      expect(resolution).toEqual({ ok: true, origin: 'https://acme.my.workfront.adobe.com' })
    })
  })

  describe('fixed non-Workfront origins (a local mock, a proxy)', () => {
    it.each(['http://127.0.0.1:4010', 'https://wf-proxy.example.com', 'https://acme.my.workfront.com:8443'])(
      '%s is used whatever well-formed labels the callback names',
      (origin) => {
        const fixed = (domain: string | null, lane: string | null) =>
          resolveTenant({
            domain,
            lane,
            expectedOrigin: origin,
            allowedHosts: WORKFRONT_HOST_PATTERNS,
            fixed: true,
          })
        expect(fixed('acme', 'my')).toEqual({ ok: true, origin })
        expect(fixed('evil', 'preview')).toEqual({ ok: true, origin })
        expect(fixed(null, null)).toEqual({ ok: true, origin })
        expectFailure(fixed('evil.com', 'my'), 'invalid_tenant')
      },
    )

    it('is not trusted the same way when the origin is not from configuration', () => {
      const resolution = resolveTenant({
        domain: 'acme',
        lane: 'my',
        expectedOrigin: 'https://mock.local',
        allowedHosts: ['mock.local'],
        fixed: false,
      })
      expectFailure(resolution, 'tenant_mismatch')
    })
  })

  it('never resolves outside the expected origin or the allowlist (property)', () => {
    const allowedHosts = ['*.my.workfront.com', '*.preview.workfront.com']
    const input: fc.Arbitrary<ResolveTenantInput> = fc.record({
      domain: fc.option(hostile, { nil: null }),
      lane: fc.option(hostile, { nil: null }),
      expectedOrigin: fc.option(
        fc.constantFrom(
          'https://acme.my.workfront.com',
          'https://acme.preview.workfront.com',
          'http://127.0.0.1:4010',
        ),
        { nil: null },
      ),
      allowedHosts: fc.constant(allowedHosts),
      fixed: fc.boolean(),
    })
    fc.assert(
      fc.property(input, (i) => {
        const resolution = resolveTenant(i)
        if (!resolution.ok) {
          expect(['invalid_tenant', 'tenant_not_allowed', 'tenant_mismatch']).toContain(resolution.error.code)
          return
        }
        if (i.expectedOrigin !== null) expect(resolution.origin).toBe(i.expectedOrigin)
        else {
          const url = new URL(resolution.origin)
          expect(url.protocol).toBe('https:')
          expect(url.origin).toBe(resolution.origin)
          expect(isHostAllowed(url.host, allowedHosts)).toBe(true)
        }
      }),
      { numRuns: 3000 },
    )
  })
})

describe('parseTenantInput', () => {
  it.each([
    ['acme', 'https://acme.my.workfront.com'],
    ['  ACME  ', 'https://acme.my.workfront.com'],
    ['acme.preview.workfront.com', 'https://acme.preview.workfront.com'],
    ['Acme.SB01.workfront.com', 'https://acme.sb01.workfront.com'],
    ['https://acme.sb02.workfront.com/', 'https://acme.sb02.workfront.com'],
    ['https://acme.my.workfront.com/home?x=1#y', 'https://acme.my.workfront.com'],
    ['https://acme.my.workfront.com:443', 'https://acme.my.workfront.com'],
    ['acme.my.workfront.adobe.com', 'https://acme.my.workfront.adobe.com'],
  ])('reads %j as %s', (input, origin) => {
    expect(parseTenantInput(input, WORKFRONT_HOST_PATTERNS)).toEqual({ ok: true, origin })
  })

  it.each([
    'http://acme.my.workfront.com',
    'https://acme.my.workfront.com:8443',
    'https://user@acme.my.workfront.com',
    'evil.com@acme.my.workfront.com',
    'https://acme.my.workfront.com:pw@evil.com',
    'ftp://acme.my.workfront.com',
    'https://',
    '',
    'javascript:alert(1)',
  ])('refuses %j as not a Workfront address', (input) => {
    expectFailure(parseTenantInput(input, WORKFRONT_HOST_PATTERNS), 'invalid_tenant')
  })

  it.each([
    'evil.com',
    'acme.my.workfront.com.evil.com',
    'a.b.my.workfront.com',
    'my.workfront.com',
    'acme.my.workfront.com.',
    'acme.sb03.workfront.com',
    '127.0.0.1',
    'https://evil.com#.my.workfront.com',
    'evil.com?.my.workfront.com',
    'evil.com/acme.my.workfront.com',
  ])('refuses %j as not allowed', (input) => {
    expectFailure(parseTenantInput(input, WORKFRONT_HOST_PATTERNS), 'tenant_not_allowed')
  })

  it('applies the configured allowlist', () => {
    expectFailure(parseTenantInput('acme.sb01.workfront.com', ['*.my.workfront.com']), 'tenant_not_allowed')
    expectFailure(parseTenantInput('acme', ['*.preview.workfront.com']), 'tenant_not_allowed')
  })

  it('for any input, yields an https origin of an allowed host or a typed failure (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(hostile, fc.webUrl({ withQueryParameters: true, withFragments: true })),
        (input) => {
          const result = parseTenantInput(input, WORKFRONT_HOST_PATTERNS)
          if (!result.ok) {
            expect(['invalid_tenant', 'tenant_not_allowed']).toContain(result.error.code)
            return
          }
          const url = new URL(result.origin)
          expect(url.origin).toBe(result.origin)
          expect(url.protocol).toBe('https:')
          expect(isHostAllowed(url.host, WORKFRONT_HOST_PATTERNS)).toBe(true)
        },
      ),
      { numRuns: 3000 },
    )
  })
})

// ---------------------------------------------------------------------------------------------------------
// The security boundary end to end: hostile callback parameters through the real driver.

const CLIENT_ID = 'client-prop'
const SECRET = 'cs-PROPERTY-SECRET-9a8b7c6d5e'
const REDIRECT_URI = 'https://app.example.com/auth/callback'
const ALLOWED = ['*.my.workfront.com', '*.preview.workfront.com']

/** Strings a forger would try as `domain`, `lane`, `state` or `code`. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('acme', 'globex', 'my', 'preview', 'sb01', 'evil') },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ...[
        'ACME',
        'Preview',
        'evil.com',
        'acme.evil.com',
        'acme.my.workfront.com.evil.com',
        'evil.com@acme',
        'acme@evil.com',
      ],
      ...[
        'evil.com:443',
        'acme:1',
        'evil.com/',
        '/evil.com',
        '//evil.com',
        'evil.com#',
        'evil.com?',
        'acme%2eevil.com',
      ],
      ...[
        '%2e%2e',
        '..',
        '.',
        '',
        ' ',
        'acme ',
        'acme\n',
        'a\u0000',
        'localhost',
        '127.0.0.1',
        '[::1]',
        'ａｃｍｅ',
      ],
      ...[
        '\u212Acme' /* Kelvin sign: lower-cases to k */,
        'İ',
        'xn--80ak6aa92e',
        'a'.repeat(63),
        'a'.repeat(64),
      ],
      ...['a'.repeat(5000), 'my.workfront.com', 'oauth', 'http://evil.com', 'https://acme.my.workfront.com'],
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.constantFrom(
          'acme',
          'evil',
          '.',
          '@',
          ':',
          '/',
          '%',
          '%2e',
          '%40',
          'COM',
          'my',
          '-',
          '\\',
          '?',
          '#',
        ),
        {
          maxLength: 10,
        },
      )
      .map((parts) => parts.join('')),
  },
)
/** Absent (null) one time in four. */
const absentOr = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 4 })

interface Sent {
  url: URL
  text: string
}

/** Workfront's token endpoint on every host (the test is about where requests go, not who answers). */
function recordingWorkfront() {
  const sent: Sent[] = []
  const http: HTTPClient = async (input, init) => {
    const request = new Request(input, init)
    const body = await request.text()
    const url = new URL(request.url)
    sent.push({ url, text: `${request.url}\n${JSON.stringify([...request.headers])}\n${body}` })
    // The sign-in reads who signed in from the tenant's API, which must be the tenant's origin too.
    if (/^\/attask\/api\/[^/]+\/session$/.test(url.pathname)) return Response.json({ data: { userID: 'u1' } })
    if (/^\/attask\/api\/[^/]+\/user\/u1$/.test(url.pathname)) return Response.json({ data: { ID: 'u1' } })
    if (url.pathname !== TOKEN_PATH || request.method !== 'POST')
      return new Response('not found', { status: 404 })
    const json = (request.headers.get('content-type') ?? '').includes('json')
    const fields = json
      ? new Map(Object.entries(JSON.parse(body) as Record<string, string>))
      : new URLSearchParams(body)
    const authorized = json
      ? request.headers.get('authorization') === `Basic ${base64(`${CLIENT_ID}:${SECRET}`)}`
      : fields.get('client_id') === CLIENT_ID && fields.get('client_secret') === SECRET
    if (!authorized) return Response.json({ error: 'invalid_client' }, { status: 401 })
    if (fields.get('grant_type') !== 'authorization_code' || !fields.get('code')) {
      return Response.json(
        { statusCode: 400, error: true, type: 'invalid_grant', message: 'bad code' },
        { status: 400 },
      )
    }
    return Response.json({
      token_type: 'sessionID',
      access_token: `session-${crypto.randomUUID()}`,
      refresh_token: `refresh-${crypto.randomUUID()}`,
      expires_in: 0,
      wid: 'wid-1',
    })
  }
  return { http, sent }
}

function callbackInput(
  params: CallbackParams,
  form: 'url' | 'search' | 'object',
): URL | URLSearchParams | CallbackParams {
  if (form === 'object') return params
  const url = new URL(REDIRECT_URI)
  const names: [keyof CallbackParams, string][] = [
    ['code', 'code'],
    ['state', 'state'],
    ['domain', 'domain'],
    ['lane', 'lane'],
    ['error', 'error'],
  ]
  for (const [key, name] of names) {
    const value = params[key]
    if (value !== null) url.searchParams.append(name, value)
  }
  return form === 'url' ? url : url.searchParams
}

describe('callback parameters through the real driver (property)', () => {
  const scenario = fc.record({
    // The right tenant often enough that sign-ins succeed and the token request really happens.
    domain: absentOr(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('acme', 'globex') },
        { weight: 5, arbitrary: hostile },
      ),
    ),
    lane: absentOr(
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom('my', 'preview') }, { weight: 5, arbitrary: hostile }),
    ),
    code: absentOr(fc.oneof(fc.constant('code-ok'), hostile)),
    // Mostly absent: a present `error` ends the callback before the tenant is looked at.
    error: fc.oneof(
      { weight: 9, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('access_denied', 'server_error', 'x y') },
    ),
    forgedState: absentOr(hostile),
    useRealState: fc.oneof(
      { weight: 3, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
    form: fc.constantFrom('url', 'search', 'object') as fc.Arbitrary<'url' | 'search' | 'object'>,
    clientAuth: fc.constantFrom('post', 'basic') as fc.Arbitrary<'post' | 'basic'>,
  })

  async function run(
    config: Pick<WorkfrontOAuthOptions, 'baseUrl' | 'multiTenant'>,
    allowedRequest: (url: URL, boundOrigin: string | null) => boolean,
    tenants: fc.Arbitrary<string | null>,
  ): Promise<{ successes: number; tokenRequests: number }> {
    let successes = 0
    let tokenRequests = 0
    await fc.assert(
      fc.asyncProperty(scenario, tenants, async (s, tenant) => {
        const workfront = recordingWorkfront()
        const oauth = createWorkfrontOAuth({
          ...config,
          clientId: CLIENT_ID,
          clientSecret: SECRET,
          clientAuth: s.clientAuth,
          redirectUri: REDIRECT_URI,
          store: memoryStore(),
          http: workfront.http,
        })
        const start = await oauth.startLogin(tenant === null ? {} : { tenant })
        const boundOrigin = tenant === null ? (config.baseUrl ?? null) : new URL(start.url).origin
        expect(allowedRequest(new URL(start.url), boundOrigin)).toBe(true)
        expect(new URL(start.url).pathname).toBe(AUTHORIZE_PATH)

        const params: CallbackParams = {
          code: s.code,
          state: s.useRealState ? start.state : s.forgedState,
          domain: s.domain,
          lane: s.lane,
          error: s.error,
          errorDescription: null,
        }
        try {
          const result = await oauth.handleCallback(callbackInput(params, s.form))
          successes++
          expect(allowedRequest(new URL(result.grant.origin), boundOrigin)).toBe(true)
          if (boundOrigin !== null) expect(result.grant.origin).toBe(boundOrigin)
        } catch (error) {
          if (!isWorkfrontOAuthError(error)) throw error
          for (const text of [error.message, JSON.stringify(error), String(error)])
            expect(text).not.toContain(SECRET)
        }

        const secretForms = [SECRET, encodeURIComponent(SECRET), base64(`${CLIENT_ID}:${SECRET}`)]
        for (const request of workfront.sent) {
          expect(allowedRequest(request.url, boundOrigin)).toBe(true)
          if (secretForms.some((form) => request.text.includes(form))) {
            tokenRequests++
            expect(request.url.pathname).toBe(TOKEN_PATH)
            expect(request.url.search).toBe('')
            if (boundOrigin !== null) expect(request.url.origin).toBe(boundOrigin)
          }
        }
      }),
      { numRuns: 500 },
    )
    return { successes, tokenRequests }
  }

  it('multi-tenant: requests only go to allowed hosts, the secret only to the tenant’s token endpoint', async () => {
    const allowed = (url: URL, bound: string | null) =>
      url.protocol === 'https:' &&
      url.port === '' &&
      url.username === '' &&
      isHostAllowed(url.hostname, ALLOWED) &&
      (bound === null || url.origin === bound || url.origin === 'https://oauth.my.workfront.com')
    const { successes, tokenRequests } = await run(
      { multiTenant: { allowedHosts: ALLOWED, entryUrl: 'https://oauth.my.workfront.com' } },
      allowed,
      fc.option(fc.constantFrom('acme', 'globex.preview.workfront.com', 'https://acme.my.workfront.com/'), {
        nil: null,
        freq: 2,
      }),
    )
    // The property must have been exercised: sign-ins that succeeded, secrets that were sent.
    expect(successes).toBeGreaterThan(10)
    expect(tokenRequests).toBeGreaterThanOrEqual(successes)
  })

  it.each(['https://acme.my.workfront.com', 'http://127.0.0.1:4010'])(
    'fixed tenant %s: every request goes to it and nowhere else',
    async (baseUrl) => {
      const { successes, tokenRequests } = await run(
        { baseUrl },
        (url) => url.origin === baseUrl && url.username === '',
        fc.constant(null),
      )
      expect(successes).toBeGreaterThan(10)
      expect(tokenRequests).toBeGreaterThanOrEqual(successes)
    },
    60_000,
  )
})
