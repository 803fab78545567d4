import type { RouteRecordRaw } from 'vue-router'

// 数据导入: products (catalog.edit), suppliers and customers (partner.edit) — the page offers only
// the kinds the user may import; the server checks the permission of each kind again.
export const routes: RouteRecordRaw[] = [
  {
    path: '/admin/imports',
    component: () => import('./ImportPage.vue'),
    meta: { title: 'menu.imports', group: 'menu.admin', anyPermission: ['catalog.edit', 'partner.edit', 'warehouse.edit', 'finance.admin'] },
  },
]
