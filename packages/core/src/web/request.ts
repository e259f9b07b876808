/** The request the web flow reads (a leaf module: the client-address resolver reads it too). */

/** What the steps read from a request; a Web `Request` is one. Its `url` must be absolute. */
export interface WebRequest {
  /** The absolute URL the browser asked for (`https://app.example.com/auth/callback?code=…`). */
  readonly url: string
  /** The HTTP method. */
  readonly method: string
  /** The request headers. */
  readonly headers: { get(name: string): string | null }
}
