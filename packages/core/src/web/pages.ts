/**
 * The default error answer of the web handler: a small HTML page for browsers and `{ error: { code,
 * message } }` JSON for everything else, from the error table. Nothing in it is secret: the code, a fixed
 * title and hint, and the error's message (built from non-secret facts).
 */
import type { ErrorInfo } from '../error-table.ts'
import type { WorkfrontOAuthError } from '../errors.ts'
import type { HeadersInput } from './cookies.ts'
import { headerValue } from './cookies.ts'
import type { WebRequest } from './request.ts'

/** What an error page is made of: the error, its status and table row, and the button that fits it. */
export interface ErrorPageContext {
  /** The request that failed. */
  request: WebRequest
  /** The HTTP status to answer with. */
  status: number
  /** The error's row of the error table: title, hint, action, `signInAgain`. */
  info: ErrorInfo
  /** The page's one button: its label and where it leads. */
  link: { label: string; href: string }
}

/** True when the client asked for HTML (a browser navigating), false for API clients. */
export function wantsHTML(headers: HeadersInput): boolean {
  return (headerValue(headers, 'accept') ?? '').includes('text/html')
}

/** The default error answer: an HTML page when the client asks for HTML, else JSON. */
export function defaultErrorPage(error: WorkfrontOAuthError, page: ErrorPageContext): Response {
  if (!wantsHTML(page.request.headers)) {
    return Response.json({ error: { code: error.code, message: error.message } }, { status: page.status })
  }
  const { title, hint } = page.info
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f}
a{color:#0b5fff}code{background:#f2f2f5;padding:.1rem .3rem;border-radius:.2rem}</style></head>
<body><main><h1>${escapeHTML(title)}</h1><p>${escapeHTML(hint)}</p>
<p><a href="${escapeHTML(page.link.href)}">${escapeHTML(page.link.label)}</a></p><p><small>Error code: <code>${escapeHTML(error.code)}</code></small></p></main></body></html>`
  return new Response(html, { status: page.status, headers: { 'content-type': 'text/html; charset=utf-8' } })
}

/** Text for HTML: every character that could open markup or an attribute is a character reference. */
export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
