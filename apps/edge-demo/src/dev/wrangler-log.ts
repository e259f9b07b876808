/**
 * What `pnpm demo` shows of wrangler's output: the Worker's own log lines, requests (once the demo is up),
 * and every warning or error with the lines that explain it. Wrangler's banner, binding table, start-up
 * chatter and the variables it was given (secrets among them) are dropped.
 */

export interface WranglerLogFilter {
  /** The line to print, or null to drop it. */
  filter(line: string): string | null
  /** From now on, show request lines (`GET / 200 OK (12ms)`); before, they are readiness probes. */
  showRequests(): void
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
const ANSI = /\u001b\[[0-9;]*m/g
const PROBLEM = /✘|▲|\[ERROR\]|\[WARNING\]|\[wrangler:(?:error|warn)\]/
const REQUEST = /^\[wrangler:info\] ([A-Z]+ \S+ \d{3}\b.*)$/
const CHATTER = [
  /^\s*⛅️ wrangler\b/,
  /^[─-]{10,}$/,
  /^Using (?:secrets|vars|environment variables) defined in\b/,
  /^Your Worker has access to the following bindings:/,
  /^Binding\s+Resource\b/,
  /^\s*env\.\w+ \(/,
  /^\s*⎔ /,
  /^\[wrangler:info\]/,
]

export function createWranglerLogFilter(): WranglerLogFilter {
  let requests = false
  // After a warning or an error, the lines up to the next blank one belong to it.
  let explaining = false
  return {
    filter(raw) {
      const line = raw.replace(ANSI, '').trimEnd()
      if (line.trim() === '') {
        explaining = false
        return null
      }
      if (PROBLEM.test(line)) {
        explaining = true
        return line
      }
      // Never echo the variables, even inside an explanation: their values are secrets.
      if (/^\s*env\.\w+ \(/.test(line)) return null
      if (explaining) return line
      const request = REQUEST.exec(line)
      if (request) return requests ? `  ${request[1]}` : null
      if (CHATTER.some((pattern) => pattern.test(line))) return null
      return line
    },
    showRequests() {
      requests = true
    },
  }
}
