import type { RouteRecordRaw } from 'vue-router'

// The partners screens of issue #17 (one folder per domain, mirroring schema/partners).
export const routes: RouteRecordRaw[] = [
  {
    path: '/partners/suppliers',
    component: () => import('./SupplierList.vue'),
    meta: { title: 'menu.suppliers', group: 'menu.partners', permission: 'partner.view' },
  },
  {
    path: '/partners/suppliers/:id',
    component: () => import('./SupplierDetail.vue'),
    props: true,
    meta: { title: 'partner.supplier', permission: 'purchase.view', menu: false },
  },
  {
    path: '/partners/customers',
    component: () => import('./CustomerList.vue'),
    meta: { title: 'menu.customers', group: 'menu.partners', permission: 'partner.view' },
  },
]
