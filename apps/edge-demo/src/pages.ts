/**
 * The demo's pages, rendered on the server with `hono/html` (every interpolation is escaped). No script, no
 * external resource: one inline stylesheet, landmarks, labelled controls, colours with at least 4.5:1
 * contrast (WCAG 2.2 AA).
 */
import type { GrantInfo, WorkfrontObject } from '@workfront-oauth/core'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

export type HTML = HtmlEscapedString | Promise<HtmlEscapedString>

/** Headers of every demo page: nothing may run, load or frame it. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
}

const STYLE = `
*{box-sizing:border-box}
html{color-scheme:light}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6fa;color:#1b2230}
.wrap{max-width:62rem;margin:0 auto;padding:0 1.25rem}
.skip{position:absolute;left:-999px;top:.5rem;background:#fff;color:#0b4ea2;padding:.5rem .75rem;border-radius:4px}
.skip:focus{left:.5rem}
header.top{background:#14233f;color:#fff}
header.top .wrap{display:flex;align-items:center;gap:1rem;min-height:3.5rem;flex-wrap:wrap}
.brand{font-weight:700;letter-spacing:.01em}
.badge{font-size:.8rem;font-weight:600;padding:.15rem .55rem;border-radius:999px;background:#ffe08a;color:#3d2e00}
header.top nav{margin-left:auto}
main.wrap{padding-top:2rem;padding-bottom:3rem}
h1{font-size:1.9rem;line-height:1.2;margin:0 0 .5rem}
h2{font-size:1.2rem;margin:0 0 .75rem}
p{margin:.5rem 0}
.lead{color:#3d4757;font-size:1.05rem;max-width:42rem}
.card{background:#fff;border:1px solid #d9dfe8;border-radius:10px;padding:1.25rem 1.5rem;margin:1.25rem 0;box-shadow:0 1px 2px rgba(20,35,63,.06)}
.grid{display:grid;grid-template-columns:minmax(0,1.6fr) minmax(20rem,1fr);gap:1.25rem;align-items:start}
.grid>.card{margin:0}
.grid>div>.card:first-child{margin-top:0}
@media (max-width:52rem){.grid{grid-template-columns:1fr}}
.button,button{display:inline-block;font:inherit;font-weight:600;padding:.6rem 1.15rem;border-radius:6px;border:1px solid transparent;cursor:pointer;text-decoration:none}
.primary{background:#0b4ea2;color:#fff}
.primary:hover{background:#093f83}
.quiet{background:#fff;color:#14233f;border-color:#8a97ab}
.quiet:hover{background:#eef2f8}
header.top .quiet{background:transparent;color:#fff;border-color:#9fb0cc}
header.top .quiet:hover{background:#22375f}
.warn{background:#fff4e0;color:#6b3b00;border-color:#c9882a}
.warn:hover{background:#ffe9c2}
a{color:#0b4ea2}
:focus-visible{outline:3px solid #1f6feb;outline-offset:2px}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text]{width:100%;max-width:26rem;padding:.55rem .65rem;border:1px solid #6b778a;border-radius:6px;font:inherit}
.hint{color:#4a5568;font-size:.92rem}
.notice{border-left:4px solid #0b7a3e;background:#e9f7ef;color:#0f3d24;padding:.75rem 1rem;border-radius:6px;margin:1rem 0}
.notice.attention{border-color:#b3541e;background:#fdf0e6;color:#5c2a0c}
table{width:100%;border-collapse:collapse;font-size:.95rem}
caption{text-align:left;color:#4a5568;padding-bottom:.5rem}
th,td{text-align:left;padding:.55rem .5rem;border-bottom:1px solid #e3e8ef;vertical-align:top}
thead th{font-size:.82rem;text-transform:uppercase;letter-spacing:.04em;color:#3d4757}
tbody th{font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;font-size:.82rem;font-weight:600;padding:.05rem .5rem;border-radius:999px;background:#e8edf5;color:#233452}
.status-CUR{background:#e3f4ea;color:#0e5132}.status-PLN{background:#e6effc;color:#123f7a}
.status-CPL{background:#ececec;color:#333}.status-ONH{background:#fff1d6;color:#5c3b00}.status-DED{background:#fbe5e5;color:#7a1616}
dl{margin:0;font-size:.95rem}
dt{color:#4a5568;font-size:.85rem;margin-top:.7rem}
dt:first-child{margin-top:0}
dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:#eef1f6;padding:.05rem .3rem;border-radius:4px}
.count{font-size:1.35rem;font-weight:700}
footer{color:#4a5568;font-size:.88rem;padding-bottom:2rem}
@media (max-width:30rem){.wrap{padding:0 .75rem}.card{padding:1rem}h1{font-size:1.6rem}th,td{padding:.5rem .35rem}.wide-only{display:none}}
`

export interface LayoutOptions {
  title: string
  /** Shown in the header: "Workfront mock" badge. */
  mock: boolean
  /** Signed in: the header offers "Sign out". */
  signedIn?: boolean
  body: HTML
}

export function layout(options: LayoutOptions): HTML {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Workfront OAuth demo</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="top">
<div class="wrap">
<span class="brand">Workfront OAuth demo</span>
${options.mock ? html`<span class="badge">Workfront mock</span>` : ''}
${options.signedIn ? html`<nav aria-label="Account">${signOutForm('quiet')}</nav>` : ''}
</div>
</header>
<main id="main" class="wrap">
${options.body}
</main>
<footer class="wrap">
<p>Built with <code>@workfront-oauth/core</code> and <code>@workfront-oauth/hono-adapter</code> on Hono. No script runs on this page.</p>
</footer>
</body>
</html>`
}

function signOutForm(style: 'quiet' | 'primary'): HTML {
  return html`<form method="post" action="/auth/logout?returnTo=%2F%3Fnotice%3Dsigned-out"><button type="submit" class="${style}">Sign out</button></form>`
}

/** Fixed messages chosen by a query parameter: no text from the request is ever reflected. */
export const NOTICES = {
  'signed-out': {
    tone: 'ok',
    text: 'You are signed out. The Workfront session was ended and the stored tokens were deleted.',
  },
  expired: {
    tone: 'ok',
    text: 'Every Workfront session was expired. This page still loaded: the demo refreshed the access token (see “Refreshes so far”).',
  },
  'sign-in-again': {
    tone: 'attention',
    text: 'Your Workfront authorization has ended (the refresh token is no longer accepted). Please sign in again.',
  },
} as const satisfies Record<string, { tone: 'ok' | 'attention'; text: string }>

export type NoticeKey = keyof typeof NOTICES

export function isNoticeKey(value: string | undefined): value is NoticeKey {
  return value !== undefined && Object.hasOwn(NOTICES, value)
}

function notice(key: NoticeKey | undefined): HTML | '' {
  if (!key) return ''
  const { tone, text } = NOTICES[key]
  return html`<p class="notice${tone === 'attention' ? ' attention' : ''}" role="status">${text}</p>`
}

export interface HomeOptions {
  mock: boolean
  multiTenant: boolean
  /** Shown in mock mode. */
  demoUser?: { username: string; password: string }
  /** What the demo signs in to, e.g. "acme.my.workfront.com". */
  workfrontLabel: string
  notice?: NoticeKey
}

export function homePage(options: HomeOptions): HTML {
  const signIn = options.multiTenant
    ? html`<form method="get" action="/auth/login">
<label for="tenant">Your Workfront organization</label>
<input type="text" id="tenant" name="tenant" required autocomplete="organization" spellcheck="false" aria-describedby="tenant-hint" placeholder="acme.my.workfront.com">
<p class="hint" id="tenant-hint">Your org’s domain as in its address: <code>acme</code>, <code>acme.my.workfront.com</code> or <code>acme.preview.workfront.com</code>.</p>
<p><button type="submit" class="primary">Sign in with Workfront</button></p>
</form>`
    : html`<p><a class="button primary" href="/auth/login">Sign in with Workfront</a></p>`
  const demo =
    options.mock && options.demoUser
      ? html`<section class="card" aria-labelledby="mock-title">
<h2 id="mock-title">This demo runs a Workfront mock</h2>
<p>No Workfront account is needed: its sign-in and consent pages are served by this demo. Sign in as</p>
<dl><dt>Username</dt><dd><code>${options.demoUser.username}</code></dd><dt>Password</dt><dd><code>${options.demoUser.password}</code></dd></dl>
<p class="hint">Set <code>WORKFRONT_BASE_URL</code>, <code>WORKFRONT_CLIENT_ID</code> and <code>WORKFRONT_CLIENT_SECRET</code> to use a real Workfront instead.</p>
</section>`
      : ''
  return layout({
    title: 'Sign in',
    mock: options.mock,
    body: html`${notice(options.notice)}
<h1>Sign in with Workfront</h1>
<p class="lead">This app signs you in to Adobe Workfront with OAuth2, keeps your session alive with the refresh token, and lists your projects through the Workfront API — on Cloudflare Workers or Node.</p>
<section class="card" aria-labelledby="signin-title">
<h2 id="signin-title">Workfront: ${options.workfrontLabel}</h2>
${signIn}
</section>
${demo}`,
  })
}

export interface DashboardOptions {
  mock: boolean
  userName: string
  projects: readonly WorkfrontObject[]
  grant: GrantInfo
  /** What the grant's host is, when it is not self-explanatory (mock mode). */
  tenantNote?: string
  now: number
  notice?: NoticeKey
}

const STATUS_LABELS: Readonly<Record<string, string>> = {
  CUR: 'Current',
  PLN: 'Planning',
  CPL: 'Complete',
  ONH: 'On hold',
  DED: 'Dead',
  REQ: 'Requested',
  APR: 'Approved',
  REJ: 'Rejected',
  IDA: 'Idea',
}

export function dashboardPage(options: DashboardOptions): HTML {
  const { grant } = options
  const rows = options.projects.map((project) => {
    const status = typeof project.status === 'string' ? project.status : ''
    const statusClass = /^[A-Z]{3}$/.test(status) ? `status status-${status}` : 'status'
    const percent =
      typeof project.percentComplete === 'number' ? `${Math.round(project.percentComplete)} %` : '—'
    return html`<tr>
<th scope="row">${project.name ?? project.ID}</th>
<td><span class="${statusClass}">${STATUS_LABELS[status] ?? status}</span></td>
<td class="wide-only">${workfrontDate(project.plannedCompletionDate)}</td>
<td class="num">${percent}</td>
</tr>`
  })
  const table =
    options.projects.length === 0
      ? html`<p>Workfront returned no projects for you.</p>`
      : html`<table>
<caption>${options.projects.length} project${options.projects.length === 1 ? '' : 's'} from <code>proj/search</code>, sorted by name</caption>
<thead><tr><th scope="col">Project</th><th scope="col">Status</th><th scope="col" class="wide-only">Planned completion</th><th scope="col" class="num">Complete</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
  const tenantHost = new URL(grant.origin).host
  const expire = options.mock
    ? html`<section class="card" aria-labelledby="expire-title">
<h2 id="expire-title">Try a refresh</h2>
<p>Workfront access tokens are session IDs that end after inactivity. Expire every session in the mock, and the next page load gets a 401, refreshes the token once and retries.</p>
<form method="post" action="/mock/expire-sessions"><button type="submit" class="warn">Expire the Workfront session</button></form>
</section>`
    : ''
  return layout({
    title: 'Your projects',
    mock: options.mock,
    signedIn: true,
    body: html`${notice(options.notice)}
<h1>Hello, ${options.userName}</h1>
<p class="lead">You are signed in with Workfront. Everything below comes from the Workfront API, called with your access token.</p>
<div class="grid">
<section class="card" aria-labelledby="projects-title">
<h2 id="projects-title">Your projects</h2>
${table}
</section>
<div>
<section class="card" aria-labelledby="grant-title">
<h2 id="grant-title">Your grant</h2>
<dl>
<dt>Tenant host</dt><dd><code>${tenantHost}</code>${options.tenantNote ? html`<br><span class="hint">${options.tenantNote}</span>` : ''}</dd>
<dt><code>wid</code></dt><dd><code>${grant.wid ?? '—'}</code></dd>
<dt>Token type</dt><dd><code>${grant.tokenType}</code></dd>
<dt>Token obtained</dt><dd>${timestamp(grant.obtainedAt, options.now)}</dd>
<dt>Signed in</dt><dd>${timestamp(grant.createdAt, options.now)}</dd>
<dt>Expires</dt><dd>${grant.expiresAt === null ? 'unknown — refreshed when Workfront rejects it' : timestamp(grant.expiresAt, options.now)}</dd>
<dt>Refreshes so far</dt><dd><span class="count" id="refresh-count" data-refresh-count="${grant.refreshCount}">${grant.refreshCount}</span></dd>
</dl>
</section>
${expire}
<section class="card" aria-labelledby="account-title">
<h2 id="account-title">Done?</h2>
<p>Signing out ends the Workfront session and deletes the stored tokens.</p>
${signOutForm('primary')}
</section>
</div>
</div>`,
  })
}

export interface ErrorPageOptions {
  mock: boolean
  title: string
  hint: string
  code: string
  status: number
  /** The one button: "Sign in again", "Try again" or "Back to the start". */
  action: { label: string; href: string }
}

export function errorPage(options: ErrorPageOptions): HTML {
  return layout({
    title: options.title,
    mock: options.mock,
    body: html`<h1>${options.title}</h1>
<section class="card" aria-labelledby="error-hint">
<p id="error-hint">${options.hint}</p>
<p><a class="button primary" href="${options.action.href}">${options.action.label}</a></p>
<p class="hint">HTTP ${options.status} · error code <code>${options.code}</code></p>
</section>`,
  })
}

function timestamp(ms: number, now: number): HTML {
  const date = new Date(ms)
  const iso = date.toISOString()
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time> <span class="hint">(${relative(ms, now)})</span>`
}

function relative(ms: number, now: number): string {
  const seconds = Math.round((ms - now) / 1000)
  const abs = Math.abs(seconds)
  const [value, unit] =
    abs < 60
      ? [abs, 'second']
      : abs < 3600
        ? [Math.round(abs / 60), 'minute']
        : abs < 86_400
          ? [Math.round(abs / 3600), 'hour']
          : [Math.round(abs / 86_400), 'day']
  if (value === 0) return 'just now'
  const text = `${value} ${unit}${value === 1 ? '' : 's'}`
  return seconds < 0 ? `${text} ago` : `in ${text}`
}

/** Workfront dates look like `2026-06-30T17:00:00:000-0400`; the date part is what a person needs. */
function workfrontDate(value: unknown): string {
  if (typeof value !== 'string') return '—'
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(value)
  return match ? (match[1] as string) : value
}
