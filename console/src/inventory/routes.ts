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
  {
    path: '/inventory/transfers',
    component: () => import('./TransferList.vue'),
    meta: { title: 'menu.transfers', group: 'menu.inventory', permission: 'stock.view' },
  },
  {
    path: '/inventory/transfers/new',
    component: () => import('./TransferForm.vue'),
    meta: { title: 'transfer.new', permission: 'stock.transfer', menu: false },
  },
  {
    path: '/inventory/transfers/:id',
    component: () => import('./TransferDetail.vue'),
    props: true,
    meta: { title: 'transfer.title', permission: 'stock.view', menu: false },
  },
  {
    // the pairing page has the handheld layout of /scan: the menu entry leads there
    path: '/inventory/devices',
    redirect: '/scan/pair',
    meta: { title: 'menu.pairDevice', group: 'menu.inventory', permission: 'device.pair' },
  },
]
