// The menu comes from the routes' meta: a route shows when the user holds its permission
// (me.permissions). Hiding is a courtesy — the server refuses what a permission does not allow.
import type { RouteRecordRaw } from 'vue-router'
import { can } from '@/auth/session'

export interface MenuMeta {
  title: string // i18n key
  permission?: string
  anyPermission?: string[] // shown when the user holds any of these
  group?: string // i18n key of the submenu
  menu?: boolean // false: a route without a menu entry (forms, details)
}

export interface MenuGroup {
  key: string
  items: { path: string; title: string }[]
}

export function menuOf(routes: readonly RouteRecordRaw[]): MenuGroup[] {
  const groups: MenuGroup[] = []
  for (const r of routes) {
    const meta = r.meta as MenuMeta | undefined
    if (!meta || meta.menu === false || !can(meta.permission)) continue
    if (meta.anyPermission && !meta.anyPermission.some((p) => can(p))) continue
    const key = meta.group ?? ''
    let g = groups.find((x) => x.key === key)
    if (!g) groups.push((g = { key, items: [] }))
    g.items.push({ path: r.path, title: meta.title })
  }
  return groups
}
