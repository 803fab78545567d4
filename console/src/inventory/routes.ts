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
    path: '/inventory/warehouses',
    component: () => import('./WarehouseList.vue'),
    meta: { title: 'menu.warehouses', group: 'menu.inventory', permission: 'stock.view' },
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
    path: '/inventory/reorder',
    component: () => import('./ReorderPage.vue'),
    meta: { title: 'menu.reorder', group: 'menu.inventory', permission: 'stock.view' },
  },
  {
    path: '/inventory/production',
    component: () => import('./ProductionList.vue'),
    meta: { title: 'menu.production', group: 'menu.inventory', permission: 'stock.view' },
  },
  {
    path: '/inventory/production/new',
    component: () => import('./ProductionForm.vue'),
    meta: { title: 'production.new', permission: 'stock.issue', menu: false },
  },
  {
    path: '/inventory/production/:id',
    component: () => import('./ProductionDetail.vue'),
    props: true,
    meta: { title: 'production.title', permission: 'stock.view', menu: false },
  },
  {
    path: '/inventory/available-to-sell',
    component: () => import('./AvailableToSell.vue'),
    meta: { title: 'menu.availableToSell', group: 'menu.inventory', permission: 'stock.view' },
  },
  {
    path: '/inventory/expiring',
    component: () => import('./ExpiringLots.vue'),
    meta: { title: 'menu.expiring', group: 'menu.inventory', permission: 'stock.view' },
  },
  {
    // the pairing page has the handheld layout of /scan: the menu entry leads there
    path: '/inventory/devices',
    redirect: '/scan/pair',
    meta: { title: 'menu.pairDevice', group: 'menu.inventory', permission: 'device.pair' },
  },
]
