import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/purchasing/orders',
    component: () => import('./PurchaseOrderList.vue'),
    meta: { title: 'menu.purchaseOrders', group: 'menu.purchasing', permission: 'purchase.view' },
  },
  // the approvals inbox moved to /approvals (src/reports/ApprovalsInbox.vue, approvalsInbox)
  { path: '/purchasing/approvals', redirect: '/approvals' },
  {
    path: '/purchasing/orders/new',
    component: () => import('./PurchaseOrderForm.vue'),
    meta: { title: 'po.new', permission: 'purchase.order.edit', menu: false },
  },
  {
    path: '/purchasing/orders/:id',
    component: () => import('./PurchaseOrderDetail.vue'),
    props: true,
    meta: { title: 'po.title', permission: 'purchase.view', menu: false },
  },
]
