const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** "10s", "500ms", "2m", "6h", "1d" or a bare number of seconds, to milliseconds. Returns undefined when unparseable. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text)
  if (!m) return undefined
  const value = Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]
  return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
}
