/**
 * Markdown code blocks, read the one way every docs test reads them: fenced blocks (backticks or tildes, any
 * indentation), their language, and the `<!-- file: … -->` marker on the nearest line above. A fence inside
 * a quotation (`> ```…`) is not a block: it is quoted text.
 */

export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  doc: string
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  /** The block's text without the fence's indentation, ending with a newline (as a file does). */
  body: string
  /** `path#region` as written in the marker, or null when the block has none. */
  marker: string | null
  /** 0-based line indexes of the first and one-past-last body lines, for rewriting. */
  start: number
  end: number
  indent: string
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/
const MARKER = /^\s*<!--\s*file:\s*(\S+)\s*-->\s*$/

export function codeBlocks(doc: string, text: string): CodeBlock[] {
  const lines = text.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const opening = FENCE.exec(lines[i]!)
    if (!opening) continue
    const indent = opening[1]!
    const fence = opening[2]!
    let close = i + 1
    while (
      close < lines.length &&
      !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[close]!)
    ) {
      close++
    }
    let previous = i - 1
    while (previous >= 0 && lines[previous]!.trim() === '') previous--
    const marker = previous >= 0 ? (MARKER.exec(lines[previous]!)?.[1] ?? null) : null
    const body = lines
      .slice(i + 1, close)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
    blocks.push({
      doc,
      line: i + 1,
      lang: (opening[3] ?? '').toLowerCase(),
      body: body.length === 0 ? '' : `${body.join('\n')}\n`,
      marker,
      start: i + 1,
      end: close,
      indent,
    })
    i = close
  }
  return blocks
}
