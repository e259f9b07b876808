/** How the report writes numbers: thousands separators, fixed digits, sizes in KiB, plurals. */

export const int = (n: number): string => Math.round(n).toLocaleString('en-US')
export const ms = (n: number): string => (n >= 100 ? int(n) : n.toFixed(1))
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
export const fixed = (n: number, digits = 1): string => n.toFixed(digits)
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
