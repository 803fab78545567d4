// The chart of accounts and the dimensions (辅助核算) for voucher and ledger screens, fetched once
// per screen (urql caches them), and the cent arithmetic of the debit = credit display.
import { computed } from 'vue'
import { useQuery } from '@urql/vue'
import { currentLocale } from '@/i18n'
import { VoucherAccountsQuery, VoucherDepartmentsQuery, VoucherWarehousesQuery } from './voucherOperations'
import type { VoucherAccountsQuery as AccountsResult } from '@/gql/graphql'

export type AccountOption = AccountsResult['accounts'][number]

export function useAccounts() {
  const q = useQuery({ query: VoucherAccountsQuery })
  const all = computed(() => q.data.value?.accounts ?? [])
  const byCode = computed(() => new Map(all.value.map((a) => [a.code, a])))
  // a voucher line names a leaf account (明细科目) that is in use
  const leaves = computed(() => all.value.filter((a) => a.isLeaf && a.active))
  const nameOf = (code: string) => {
    const a = byCode.value.get(code)
    return a ? (currentLocale() === 'en' ? a.nameEn || a.name : a.name) : ''
  }
  const label = (a: AccountOption) => `${a.code} ${currentLocale() === 'en' ? a.nameEn || a.name : a.name}`
  const dimensionsOf = (code: string): string[] => byCode.value.get(code)?.dimensions ?? []
  return { q, all, leaves, byCode, nameOf, label, dimensionsOf }
}

export function useDimensions() {
  const deps = useQuery({ query: VoucherDepartmentsQuery })
  const whs = useQuery({ query: VoucherWarehousesQuery })
  const departments = computed(() => deps.data.value?.departments ?? [])
  const warehouses = computed(() => whs.data.value?.warehouses.edges.map((e) => e.node) ?? [])
  const departmentName = (id: string | null | undefined) => {
    const d = departments.value.find((x) => x.id === id)
    return d ? `${d.code} ${d.name}` : ''
  }
  const warehouseName = (id: string | null | undefined) => {
    const w = warehouses.value.find((x) => x.id === id)
    return w ? `${w.code} ${w.name}` : ''
  }
  return { departments, warehouses, departmentName, warehouseName }
}

/** An amount as typed ("12.5", "0", "") in cents; null when it is not an amount of at most 2 decimals. */
export function toCents(s: string | null | undefined): number | null {
  const v = (s ?? '').trim().replace(/,/g, '')
  if (v === '') return 0
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v)
  if (!m) return null
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'))
  return m[1] ? -cents : cents
}

export function centsText(c: number): string {
  const sign = c < 0 ? '-' : ''
  const a = Math.abs(c)
  return `${sign}${Math.floor(a / 100).toLocaleString('en-US')}.${String(a % 100).padStart(2, '0')}`
}

/** Today as yyyy-mm-dd on this machine (the server still checks its own business date). */
export function todayText(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}
