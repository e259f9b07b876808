/**
 * The chart of the README: one horizontal bar per ratio (ours ÷ baseline, same run), on a log scale
 * centred on 1, drawn as plain SVG by this script (no chart library, no external service).
 */
import type { RatioRow } from './ratios.ts'

const WIDTH = 960
const LABEL_X = 16
const PLOT_LEFT = 420
const PLOT_RIGHT = WIDTH - 90
const ROW = 24
const GROUP_GAP = 30
/** Decades shown: 10^-4 … 10^2. Smaller ratios (and 0) are drawn at the left edge, labelled. */
const MIN_EXP = -4
const MAX_EXP = 2

function escapeXML(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

function x(value: number): number {
  const exp = Math.min(MAX_EXP, Math.max(MIN_EXP, Math.log10(value)))
  return PLOT_LEFT + ((exp - MIN_EXP) / (MAX_EXP - MIN_EXP)) * (PLOT_RIGHT - PLOT_LEFT)
}

export function formatRatio(value: number | null): string {
  if (value === null) return 'n/a'
  if (value === 0) return '0×'
  if (value >= 10) return `${value.toFixed(0)}×`
  if (value >= 0.1) return `${value.toFixed(2)}×`
  if (value >= 0.001) return `${value.toFixed(3)}×`
  return `1/${Math.round(1 / value).toLocaleString('en-US')}`
}

export function renderChart(rows: RatioRow[], footer: string): string {
  const groups: { name: string; rows: RatioRow[] }[] = []
  for (const r of rows) {
    const last = groups[groups.length - 1]
    if (last && last.name === r.group) last.rows.push(r)
    else groups.push({ name: r.group, rows: [r] })
  }
  const top = 78
  const height = top + groups.reduce((h, g) => h + GROUP_GAP + g.rows.length * ROW, 0) + 60
  const plotBottom = height - 48
  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">`,
    '<title>workfront-oauth benchmarks: ours ÷ baseline, same run</title>',
    `<desc>${escapeXML(rows.map((r) => `${r.group}: ${r.label} ${formatRatio(r.value)}`).join('; '))}</desc>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="28" font-size="17" font-weight="600" fill="#1d1d1f">workfront-oauth ÷ baseline, measured in the same run</text>`,
    `<text x="${LABEL_X}" y="48" fill="#555">Costs only (calls, failures, time, CPU, bytes): left of 1× ours costs less. Log scale; medians of repeated runs.</text>`,
  )
  // Decade grid and the 1× line.
  for (let exp = MIN_EXP; exp <= MAX_EXP; exp++) {
    const gx = x(10 ** exp).toFixed(1)
    const label = exp === 0 ? '1×' : exp < 0 ? `1/${(10 ** -exp).toLocaleString('en-US')}` : `${10 ** exp}×`
    parts.push(
      `<line x1="${gx}" y1="${top - 14}" x2="${gx}" y2="${plotBottom}" stroke="${exp === 0 ? '#1d1d1f' : '#e3e3e8'}" stroke-width="${exp === 0 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${plotBottom + 16}" text-anchor="middle" fill="#555">${escapeXML(label)}</text>`,
    )
  }
  let y = top
  for (const group of groups) {
    y += GROUP_GAP - 8
    parts.push(
      `<text x="${LABEL_X}" y="${y}" font-weight="600" fill="#1d1d1f">${escapeXML(group.name)}</text>`,
    )
    y += 8
    for (const r of group.rows) {
      const cy = y + ROW / 2
      parts.push(`<text x="${LABEL_X + 12}" y="${cy + 4}" fill="#333">${escapeXML(r.label)}</text>`)
      if (r.value !== null) {
        const one = x(1)
        const end = r.value === 0 ? PLOT_LEFT : x(r.value)
        const left = Math.min(one, end)
        const width = Math.max(1.5, Math.abs(end - one))
        const colour = r.value <= 1 ? '#2e8b57' : '#d9822b'
        parts.push(
          `<rect x="${left.toFixed(1)}" y="${(cy - 7).toFixed(1)}" width="${width.toFixed(1)}" height="14" rx="2" fill="${colour}"/>`,
        )
        const labelX = r.value <= 1 ? left - 6 : left + width + 6
        const anchor = r.value <= 1 ? 'end' : 'start'
        const text = r.value === 0 ? '0× (none)' : formatRatio(r.value)
        // Labels of bars that reach the left edge go inside the plot, right of the 1× line.
        if (r.value <= 1 && labelX - text.length * 7 < PLOT_LEFT) {
          parts.push(
            `<text x="${(one + 6).toFixed(1)}" y="${cy + 4}" fill="#1d1d1f">${escapeXML(text)}</text>`,
          )
        } else {
          parts.push(
            `<text x="${labelX.toFixed(1)}" y="${cy + 4}" text-anchor="${anchor}" fill="#1d1d1f">${escapeXML(text)}</text>`,
          )
        }
      } else {
        parts.push(`<text x="${x(1) + 6}" y="${cy + 4}" fill="#888">not measured</text>`)
      }
      y += ROW
    }
  }
  parts.push(
    `<text x="${LABEL_X}" y="${height - 12}" fill="#555" font-size="12">${escapeXML(footer)}</text>`,
    '</svg>',
  )
  return `${parts.join('\n')}\n`
}
