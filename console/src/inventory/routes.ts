import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/inventory/stock',
    component: () => import('./StockLevels.vue'),
    meta: { title: 'menu.stock', group: 'menu.inventory', permission: 'stock.view' },
  },
  {
    path: '/inventory/products/:id/moves',
    component: () => import('./ProductLedger.vue'),
    props: true,
    meta: { title: 'stock.ledger', permission: 'stock.view', menu: false },
  },
  {
    path: '/inventory/counts',
    component: () => import('./StockCountList.vue'),
    meta: { title: 'menu.counts', group: 'menu.inventory', anyPermission: ['stock.count', 'stock.count.manage', 'stock.count.approve'] },
  },
]
