// Small helpers of the report pages.

/** el-table's summary-method showing the API's total row as it is (exact strings, no sums here). */
export function totalRow(total: () => Record<string, unknown> | null | undefined) {
  return ({ columns }: { columns: { property?: string }[] }): string[] => {
    const row = total()
    if (!row) return columns.map(() => '')
    return columns.map((c) => {
      const v = c.property ? row[c.property] : null
      return v === null || v === undefined ? '' : String(v)
    })
  }
}

/** Money ("1234.56", "-3.5") as integer cents: exact, for shares computed without floats. */
export function cents(money: string | null | undefined): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{0,2})\d*)?$/.exec((money ?? '').trim())
  if (!m) return 0n
  const v = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'))
  return m[1] ? -v : v
}

/** part ÷ whole as a percent with two decimals ("37.50"); empty when the whole is nothing. */
export function percentOf(part: bigint, whole: bigint): string {
  if (whole <= 0n) return ''
  const bp = (part * 10000n + whole / 2n) / whole // basis points, rounded half up
  return `${bp / 100n}.${String(bp % 100n).padStart(2, '0')}`
}

/** The chart's share of a long list: its first n rows. */
export const CHART_ROWS = 30
