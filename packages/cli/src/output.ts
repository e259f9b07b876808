/** Printing: JSON for scripts (indented on a terminal, compact when piped), and the progress line. */
import type { Context, Output } from './context.ts'

export function printJSON(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, out.isTTY ? 2 : undefined)}\n`)
}

/** Prints `human` for people, or `json` with `--json`. */
export function emit(ctx: Context, human: string, json: unknown): void {
  if (ctx.json) printJSON(ctx.io.stdout, json)
  else ctx.io.stdout.write(`${human}\n`)
}

export interface Progress {
  /** Replaces the progress line's text. */
  update(text: string): void
  /** Prints a line above the progress line. */
  note(text: string): void
  stop(): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/**
 * A spinner on a terminal; on anything else (a pipe, a log file, a test) each text once, on its own line.
 */
export function startProgress(out: Output, text: string): Progress {
  let current = text
  if (!out.isTTY) {
    out.write(`${text}\n`)
    return {
      update(next) {
        if (next !== current) out.write(`${next}\n`)
        current = next
      },
      note: (line) => out.write(`${line}\n`),
      stop() {},
    }
  }
  let frame = 0
  const draw = (): void => out.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`)
  draw()
  const timer = setInterval(draw, 100)
  timer.unref()
  return {
    update(next) {
      current = next
      draw()
    },
    note(line) {
      out.write(`\r\x1b[2K${line}\n`)
      draw()
    },
    stop() {
      clearInterval(timer)
      out.write('\r\x1b[2K')
    },
  }
}
