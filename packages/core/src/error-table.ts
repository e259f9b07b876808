/**
 * What each error code means to the web: its HTTP status, whether it means "sign in again", and what an
 * error page says about it. Written once here, so that every binding (the Web handler, the Hono adapter,
 * the Node bridge, the demo, the CLI) answers the same; `docs/troubleshooting.md` is checked against it.
 */
import type { ErrorCode } from './errors.ts'

/** What an error page should offer: sign in again, try the same thing again, or go back to the start. */
export type ErrorAction = 'sign-in' | 'retry' | 'home'

/** How the web answers one error code (see `errorInfo()`). */
export interface ErrorInfo {
  /** The HTTP status of the answer. */
  status: number
  /**
   * The browser's session is over: a protected route clears the session cookie and sends the user to sign
   * in (or answers 401), rather than showing an error page.
   */
  signInAgain: boolean
  /** The error page's heading, for people; contains nothing specific to the request. */
  title: string
  /** One or two sentences under the heading: what happened and what helps. */
  hint: string
  /** The one action that fits the error. */
  action: ErrorAction
}

const SIGN_IN_AGAIN_HINT = 'Please sign in again.'
const SESSION_ENDED = 'Your Workfront session ended'

const row = (
  status: number,
  action: ErrorAction,
  title: string,
  hint: string,
  signInAgain = false,
): ErrorInfo => ({ status, signInAgain, title, hint, action })

/** The table. An exhaustive record: a new code does not compile until it has its row. */
const TABLE: Record<ErrorCode, ErrorInfo> = {
  // Configuration: the app is set up wrong; nothing the user can do.
  invalid_options: row(500, 'home', 'Something went wrong', 'The app is not set up correctly.'),
  invalid_private_key: row(500, 'home', 'Something went wrong', 'The app is not set up correctly.'),
  client_rejected: row(
    // Not a 4xx (the request was fine) and not a bare 500 (it is diagnosed): no retry helps until an
    // operator fixes the app's credentials.
    503,
    'home',
    'This app is misconfigured',
    'Workfront did not accept the app’s own credentials. Nothing is wrong with your account: the people who run this app have been told.',
  ),

  // The sign-in (login, callback).
  state_expired: row(
    400,
    'sign-in',
    'The sign-in took too long',
    'The sign-in was not completed in time. Please sign in again.',
  ),
  state_mismatch: row(
    400,
    'sign-in',
    'This sign-in link is no longer valid',
    'It was already used, or it is too old. Please sign in again.',
  ),
  browser_mismatch: row(
    400,
    'sign-in',
    'This sign-in was started in another browser or at another address',
    'A sign-in ends in the browser, and at the address (localhost and 127.0.0.1 are two), where it started. Please sign in again here.',
  ),
  invalid_callback: row(
    400,
    'sign-in',
    'The sign-in could not be completed',
    'Workfront’s answer was incomplete. Please sign in again.',
  ),
  access_denied: row(
    403,
    'sign-in',
    'Access was not granted',
    'You chose not to allow access to Workfront. You can sign in again whenever you like.',
  ),
  authorization_error: row(
    400,
    'home',
    'Workfront refused the sign-in',
    'Workfront reported a problem with this app. Please tell its administrator.',
  ),
  code_rejected: row(
    400,
    'sign-in',
    'The sign-in could not be completed',
    'Workfront did not accept the sign-in. Please sign in again.',
  ),
  tenant_mismatch: row(
    400,
    'sign-in',
    'The answer came from another Workfront organization',
    'The sign-in was started for one organization and answered for another. Please sign in again.',
  ),
  tenant_ambiguous: row(
    400,
    'sign-in',
    'Which Workfront address does your organization use?',
    'Please sign in again and type your organization’s full Workfront address.',
  ),
  invalid_tenant: row(
    400,
    'sign-in',
    'That is not a Workfront organization',
    'Check the organization’s address and try again.',
  ),
  tenant_not_allowed: row(
    403,
    'home',
    'That Workfront organization is not allowed',
    'This app only signs in to the organizations it was set up for.',
  ),
  sign_in_refused: row(
    403,
    'home',
    'You cannot sign in to this app',
    'Your Workfront account is not allowed to use this app. Please ask its administrator.',
  ),
  invalid_return_to: row(
    400,
    'home',
    'That return address is not allowed',
    'After signing in you can only return to a page of this site.',
  ),
  login_rate_limited: row(
    429,
    'retry',
    'Too many sign-ins from here',
    'Please wait a minute before signing in again.',
  ),
  login_capacity_exceeded: row(
    503,
    'retry',
    'Too many people are signing in right now',
    'Please try again in a moment.',
  ),

  // The session: these end it.
  refresh_rejected: row(401, 'sign-in', SESSION_ENDED, SIGN_IN_AGAIN_HINT, true),
  reauthorization_required: row(401, 'sign-in', SESSION_ENDED, SIGN_IN_AGAIN_HINT, true),
  grant_not_found: row(401, 'sign-in', SESSION_ENDED, SIGN_IN_AGAIN_HINT, true),
  unauthenticated: row(401, 'sign-in', 'Please sign in', 'Sign in with Workfront to continue.', true),
  // A record no configured key opens: an operator's problem (a key rotation), not a reason to drop the
  // browser's pointer to a grant that an instance with the right key can still read.
  decryption_failed: row(503, 'sign-in', 'Your session could not be read', SIGN_IN_AGAIN_HINT),
  // A record sealed by a key another instance has (a rollout in progress): retry, possibly elsewhere.
  unknown_encryption_key: row(
    503,
    'retry',
    'Your session cannot be read here yet',
    'This app is being updated. Please try again in a moment.',
  ),

  // Workfront, the store, the network: temporary.
  token_endpoint_unreachable: row(
    502,
    'retry',
    'Workfront cannot be reached',
    'Its sign-in service did not answer. Please try again in a moment.',
  ),
  unexpected_response: row(502, 'retry', 'Workfront answered unexpectedly', 'Please try again in a moment.'),
  refresh_timeout: row(
    503,
    'retry',
    'Workfront is slow to answer',
    'Renewing your session took too long. Please try again.',
  ),
  store_unavailable: row(
    503,
    'retry',
    'Sessions are unavailable',
    'The session store does not answer. Please try again in a moment.',
  ),
  api_unreachable: row(
    502,
    'retry',
    'Workfront cannot be reached',
    'Its API did not answer. Please try again in a moment.',
  ),
  rate_limited: row(
    429,
    'retry',
    'Workfront asks us to slow down',
    'Too many requests at once. Please wait a moment and try again.',
  ),
  api_error: row(502, 'home', 'Workfront refused the request', 'The Workfront API answered with an error.'),
  jwt_rejected: row(
    502,
    'home',
    'Workfront refused this app',
    'The app’s server connection to Workfront is not set up correctly. Please tell its administrator.',
  ),

  // The request itself.
  invalid_path: row(
    400,
    'home',
    'That request cannot be sent to Workfront',
    'The app asked for something Workfront does not offer.',
  ),
  uri_too_long: row(
    400,
    'home',
    'That request is too long for Workfront',
    'Ask for fewer fields or results at once.',
  ),
  csrf_rejected: row(403, 'home', 'Request refused', 'This action only works from this site’s own pages.'),
  method_not_allowed: row(405, 'home', 'Not like this', 'This address does not accept that kind of request.'),
  not_found: row(404, 'home', 'Page not found', 'There is nothing at this address.'),
  bad_request: row(400, 'home', 'Bad request', 'The address of this request is not valid.'),

  // Failures nobody planned for: their details stay in the server's logs.
  internal_error: row(500, 'home', 'Something went wrong', 'Please try again later.'),
  invalid_transition: row(500, 'home', 'Something went wrong', 'Please try again later.'),
}

/**
 * How the web answers an error code: its HTTP status, whether the session is over (`signInAgain`), and the
 * title, hint and action of its error page. The Web handler, the framework bindings and the demo all read it.
 */
export function errorInfo(code: ErrorCode): ErrorInfo {
  return TABLE[code] ?? TABLE.internal_error
}

/** The HTTP status an inbound endpoint answers with for an error code: `errorInfo(code).status`. */
export function httpStatusFor(code: ErrorCode): number {
  return errorInfo(code).status
}

/**
 * The label and target of an error page's button for a request to `path`: "Sign in again" leads to
 * `signInUrl`; "Try again" repeats a GET outside the sign-in routes (repeating a callback or a POST does not
 * help) and otherwise goes home.
 */
export function errorActionLink(
  action: ErrorAction,
  options: { signInUrl: string; basePath: string; path: string; method: string },
): { label: string; href: string } {
  if (action === 'sign-in') return { label: 'Sign in again', href: options.signInUrl }
  const repeatable =
    options.method === 'GET' && !options.path.startsWith(`${options.basePath.replace(/\/$/, '')}/`)
  if (action === 'retry') return { label: 'Try again', href: repeatable ? options.path : '/' }
  return { label: 'Back to the start', href: '/' }
}
