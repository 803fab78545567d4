import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/purchasing/orders',
    component: () => import('./PurchaseOrderList.vue'),
    meta: { title: 'menu.purchaseOrders', group: 'menu.purchasing', permission: 'purchase.view' },
  },
  {
    path: '/purchasing/approvals',
    component: () => import('./ApprovalsInbox.vue'),
    meta: { title: 'menu.approvals', group: 'menu.purchasing', permission: 'purchase.order.approve' },
  },
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
