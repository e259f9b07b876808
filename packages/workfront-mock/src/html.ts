/** Server-rendered pages for the authorize step: no script, no external resource, inline CSS only. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:0 1rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1d2430}
main{max-width:26rem;margin:8vh auto;padding:2rem 1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 .25rem}
.tenant{margin:0 0 1.5rem;color:#4a5568;font-size:.9rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.6rem;border:1px solid #8a94a6;border-radius:4px;font:inherit}
input:focus-visible,button:focus-visible{outline:3px solid #1f6feb;outline-offset:2px}
button{margin-top:1.5rem;padding:.6rem 1.2rem;border:0;border-radius:4px;font:inherit;font-weight:600;cursor:pointer}
.primary{background:#1f5fbf;color:#fff}
.secondary{background:#e2e8f0;color:#1d2430;margin-left:.5rem}
.alert{padding:.75rem;border-radius:4px;background:#fdecea;color:#8a1c13;border:1px solid #f5c2bd}
.hint{margin-top:1.5rem;padding:.75rem;border-radius:4px;background:#eef6ff;font-size:.9rem}
code{font-family:ui-monospace,monospace}
`

/** No script may run and nothing may frame the page; inline CSS is the only resource. */
export const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
} as const

function page(title: string, host: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHTML(title)}</h1>
<p class="tenant">${escapeHTML(host)} — Workfront mock</p>
${body}
</main>
</body>
</html>
`
}

export const LOGIN_TITLE = 'Sign in to Workfront (mock)'

export function loginPage(options: {
  host: string
  action: string
  pending: string
  appName: string
  username?: string
  error?: string
  demoCredentials?: { username: string; password: string }
}): string {
  const error = options.error ? `<p class="alert" role="alert">${escapeHTML(options.error)}</p>` : ''
  const hint = options.demoCredentials
    ? `<p class="hint">Demo credentials: <code>${escapeHTML(options.demoCredentials.username)}</code> / <code>${escapeHTML(options.demoCredentials.password)}</code></p>`
    : ''
  return page(
    LOGIN_TITLE,
    options.host,
    `<p>${escapeHTML(options.appName)} asks you to sign in.</p>
${error}
<form method="post" action="${escapeHTML(options.action)}">
<input type="hidden" name="pending" value="${escapeHTML(options.pending)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required autofocus value="${escapeHTML(options.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" class="primary">Sign in</button>
</form>
${hint}`,
  )
}

export const CONSENT_TITLE = 'Allow access to Workfront (mock)'

export function consentPage(options: {
  host: string
  action: string
  pending: string
  appName: string
  userName: string
  username: string
}): string {
  return page(
    CONSENT_TITLE,
    options.host,
    `<p>Signed in as <strong>${escapeHTML(options.userName)}</strong> (${escapeHTML(options.username)}).</p>
<p><strong>${escapeHTML(options.appName)}</strong> wants to access Workfront on your behalf.</p>
<form method="post" action="${escapeHTML(options.action)}">
<input type="hidden" name="pending" value="${escapeHTML(options.pending)}">
<button type="submit" name="decision" value="allow" class="primary">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  )
}

export const ERROR_TITLE = 'Authorization error (Workfront mock)'

export function errorPage(options: { host: string; message: string }): string {
  return page(
    ERROR_TITLE,
    options.host,
    `<p class="alert" role="alert">${escapeHTML(options.message)}</p>
<p>Return to the application and start signing in again.</p>`,
  )
}
