/**
 * `workfront <command>`: parses the command line (node:util `parseArgs`), runs the command, and turns what
 * it throws into a message (or a JSON error with `--json`) and an exit code.
 */
import { existsSync } from 'node:fs'
import type { ParseArgsConfig } from 'node:util'
import { parseArgs } from 'node:util'
import { api } from './commands/api.ts'
import { login } from './commands/login.ts'
import { logout } from './commands/logout.ts'
import { status } from './commands/status.ts'
import { token } from './commands/token.ts'
import { whoami } from './commands/whoami.ts'
import { checkConfigDir, profilePath } from './config.ts'
import type { Context, IO } from './context.ts'
import { createContext } from './context.ts'
import { CLIError, describeError, ExitCode, hintFor } from './errors.ts'
import { waitForPendingWrites } from './pending-writes.ts'

type Options = NonNullable<ParseArgsConfig['options']>
type Values = Record<string, string | boolean | string[] | undefined>

interface Command {
  summary: string
  usage: string
  description: string
  options: Options
  /** Help lines for the command's own options. */
  optionHelp: string[]
  examples: string[]
  run(ctx: Context, values: Values, positionals: string[]): Promise<unknown>
}

const GLOBAL_OPTIONS: Options = {
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

const GLOBAL_HELP = [
  '--profile <name>   Which sign-in to use (default: $WORKFRONT_PROFILE, else "default")',
  '--json             Machine-readable output on stdout (errors as JSON on stderr)',
  '-h, --help         This help',
]

const str = (value: Values[string]): string | undefined => (typeof value === 'string' ? value : undefined)

export const COMMANDS: Record<string, Command> = {
  login: {
    summary: 'Sign in to a Workfront org in your browser',
    usage: 'workfront login --tenant <org> --client-id <id> [--port <n>] [--no-browser]',
    description: [
      'Runs the OAuth2 authorization code flow with a loopback redirect: the browser comes back to',
      'http://127.0.0.1:<port>/callback, which must be a redirect URI of the Workfront OAuth2 app. Without a',
      'client secret the app is a Single-page app (PKCE); with WORKFRONT_CLIENT_SECRET (or',
      'WORKFRONT_CLIENT_SECRET_<PROFILE>) in the environment it is a Web application. Settings are remembered',
      'in the profile: the next login needs no flags.',
    ].join('\n'),
    options: {
      tenant: { type: 'string' },
      'client-id': { type: 'string' },
      port: { type: 'string' },
      'api-version': { type: 'string' },
      'client-auth': { type: 'string' },
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
    },
    optionHelp: [
      '--tenant <org>         The org: acme, acme.preview.workfront.com, or an https:// address',
      '--client-id <id>       The OAuth2 app’s client ID (or $WORKFRONT_CLIENT_ID)',
      '--port <n>             Port of the registered redirect URI (default 8976)',
      '--api-version <v>      Workfront API version for later calls (default v21.0)',
      '--client-auth <how>    With a secret: post (form body, default) or basic (header)',
      '--no-browser           Print the URL instead of opening a browser',
      '--timeout <seconds>    How long to wait for the browser (default 600)',
    ],
    examples: [
      'workfront login --tenant acme --client-id 3f2a…',
      'WORKFRONT_CLIENT_SECRET=… workfront login --tenant acme.preview.workfront.com --client-id 3f2a… --profile preview',
      'workfront login --no-browser      # on a remote machine: ssh -L 8976:127.0.0.1:8976 …',
    ],
    run: (ctx, v) =>
      login(ctx, {
        tenant: str(v.tenant),
        clientId: str(v['client-id']),
        port: str(v.port),
        apiVersion: str(v['api-version']),
        clientAuth: str(v['client-auth']),
        noBrowser: v['no-browser'] === true,
        timeout: str(v.timeout),
      }),
  },
  token: {
    summary: 'Print a valid session ID (refreshed first when needed)',
    usage: 'workfront token [--no-check]',
    description: [
      'Checks the session with GET session and refreshes it when Workfront rejects it (once, however many',
      'processes ask at the same time), then prints it. Use it in the sessionID header of any API call.',
    ].join('\n'),
    options: { 'no-check': { type: 'boolean' } },
    optionHelp: ['--no-check     Skip the check: refresh only when the session is known to have expired'],
    examples: [
      'curl -H "sessionID: $(workfront token)" https://acme.my.workfront.com/attask/api/v21.0/proj/count',
      'workfront token --json | jq -r .sessionID',
    ],
    run: (ctx, v) => token(ctx, { check: v['no-check'] !== true }),
  },
  api: {
    summary: 'Call the Workfront API with your session',
    usage: 'workfront api <path> [-X <method>] [-f key=value …] [--input <file>] [--paginate]',
    description: [
      'Calls /attask/api/<version>/<path>. The session is refreshed and the call retried once when Workfront',
      'rejects it. JSON is indented on a terminal and printed exactly as received when piped.',
    ].join('\n'),
    options: {
      method: { type: 'string', short: 'X' },
      field: { type: 'string', short: 'f', multiple: true },
      input: { type: 'string' },
      paginate: { type: 'boolean' },
    },
    optionHelp: [
      '-X, --method <m>      GET (default), POST, PUT or DELETE',
      '-f, --field k=v       A query parameter (repeatable): filters, fields, updates, $$LIMIT…',
      '--input <file>        Request body (JSON) from a file, or - for stdin',
      '--paginate            Fetch every page of a search ($$FIRST/$$LIMIT) into one {"data": [...]}',
    ],
    examples: [
      'workfront api proj/search -f status=CUR -f fields=percentComplete',
      'workfront api task/5f2c… -X PUT -f status=CPL',
      "workfront api proj/search --paginate | jq -r '.data[] | [.ID, .name] | @csv'",
    ],
    run: (ctx, v, positionals) =>
      api(ctx, positionals[0], {
        method: str(v.method),
        field: Array.isArray(v.field) ? v.field : undefined,
        input: str(v.input),
        paginate: v.paginate === true,
      }),
  },
  whoami: {
    summary: 'Show who is signed in, asking Workfront',
    usage: 'workfront whoami',
    description: 'Asks Workfront (GET session, then the user) who the profile’s session belongs to.',
    options: {},
    optionHelp: [],
    examples: ['workfront whoami', 'workfront whoami --profile preview --json'],
    run: (ctx) => whoami(ctx),
  },
  status: {
    summary: 'Show every profile and whether its sign-in still works',
    usage: 'workfront status [--profile <name>]',
    description: [
      'Lists the profiles (or the one given with --profile) and checks each with Workfront. Exit code 0 when',
      'all are signed in, 4 when one needs a new sign-in, 5 when Workfront could not be reached.',
    ].join('\n'),
    options: {},
    optionHelp: [],
    examples: [
      'workfront status',
      'workfront status --json | jq -r \'.[] | select(.state != "signed in") | .profile\'',
    ],
    run: (ctx, v) =>
      status(ctx, { all: v.profile === undefined && ctx.io.env.WORKFRONT_PROFILE === undefined }),
  },
  logout: {
    summary: 'End the session and delete the tokens from this machine',
    usage: 'workfront logout [--profile <name>]',
    description: [
      'Ends the Workfront session and deletes the grant from the local store; the profile’s settings stay.',
      'Workfront has no endpoint to revoke a refresh token: it stays valid at Workfront until it expires,',
      'but no copy of it is left here.',
    ].join('\n'),
    options: {},
    optionHelp: [],
    examples: ['workfront logout', 'workfront logout --profile preview'],
    run: (ctx) => logout(ctx),
  },
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length))
  return [
    'workfront — sign in to Adobe Workfront from a terminal, get a fresh session ID, call the API',
    '',
    'Usage',
    '  workfront <command> [options]',
    '',
    'Commands',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options',
    ...GLOBAL_HELP.map((line) => `  ${line}`),
    '',
    'Environment',
    '  WORKFRONT_CLIENT_ID, WORKFRONT_CLIENT_SECRET[_<PROFILE>], WORKFRONT_PROFILE, WORKFRONT_CONFIG_DIR, BROWSER,',
    '  WORKFRONT_SAVE_TIMEOUT (seconds to wait, before exiting, for a refreshed session to be saved; default 10)',
    '',
    'Examples',
    '  $ workfront login --tenant acme --client-id 3f2a…',
    '  $ workfront api proj/search -f status=CUR',
    '  $ curl -H "sessionID: $(workfront token)" https://acme.my.workfront.com/attask/api/v21.0/session',
    '',
    'Run `workfront <command> --help` for a command’s options and examples.',
    '',
  ].join('\n')
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name] as Command
  return [
    `workfront ${name} — ${c.summary}`,
    '',
    'Usage',
    `  ${c.usage}`,
    '',
    ...c.description.split('\n').map((line) => `  ${line}`),
    '',
    ...(c.optionHelp.length ? ['Options', ...c.optionHelp.map((line) => `  ${line}`), ''] : []),
    'Global options',
    ...GLOBAL_HELP.map((line) => `  ${line}`),
    '',
    'Examples',
    ...c.examples.map((line) => `  $ ${line}`),
    '',
  ].join('\n')
}

/** Runs one command line; resolves with the exit code. Never throws. */
export async function run(argv: readonly string[], io: IO): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined
    if (topic !== undefined && !(topic in COMMANDS)) return usageError(io, `Unknown command ${topic}`, false)
    io.stdout.write(topic === undefined ? mainHelp() : commandHelp(topic))
    return first === undefined ? ExitCode.Usage : ExitCode.OK
  }
  if (first === '--version') {
    io.stdout.write(`${VERSION}\n`)
    return ExitCode.OK
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined
  if (!command)
    return usageError(
      io,
      `Unknown command ${first}. Run workfront --help for the list.`,
      argv.includes('--json'),
    )
  let values: Values
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] })
  } catch (error) {
    return usageError(
      io,
      `${(error as Error).message}\nRun workfront ${first} --help for its options.`,
      rest.includes('--json'),
    )
  }
  if (values.help) {
    io.stdout.write(commandHelp(first))
    return ExitCode.OK
  }
  const json = values.json === true
  let profileName = 'default'
  let ctx: Context | undefined
  const fail = (error: unknown): number => {
    const { code, message, exitCode } = describeError(error)
    const hint = hintFor(
      code,
      profileName,
      ctx !== undefined && existsSync(profilePath(ctx.dir, profileName)),
    )
    if (json) io.stderr.write(`${JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } })}\n`)
    else io.stderr.write(`workfront: ${message}\n${hint ? `${hint}\n` : ''}`)
    return exitCode
  }
  let outcome: { code: number } | { error: unknown }
  try {
    ctx = createContext(io, { profile: str(values.profile), json })
    profileName = ctx.profileName
    await checkConfigDir(ctx.dir)
    const code = await command.run(ctx, values, positionals)
    outcome = { code: typeof code === 'number' ? code : ExitCode.OK }
  } catch (error) {
    outcome = { error }
  }
  // A person reads the command's error at once. With --json, stderr holds one error object: the unsaved
  // session's when there is one (its exit code is the one returned), else the command's.
  const told = 'error' in outcome && !json ? fail(outcome.error) : undefined
  const unsaved = ctx && (await waitForPendingWrites(ctx))
  if (unsaved) return fail(unsaved)
  if ('error' in outcome) return told ?? fail(outcome.error)
  return outcome.code
}

function usageError(io: IO, message: string, json: boolean): number {
  const error = new CLIError('usage', message)
  if (json) io.stderr.write(`${JSON.stringify({ error: { code: error.code, message } })}\n`)
  else io.stderr.write(`workfront: ${message}\n`)
  return error.exitCode
}

declare const __VERSION__: string | undefined
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev'
