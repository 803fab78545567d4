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
  {
    path: '/purchasing/receipts',
    component: () => import('./ReceiptList.vue'),
    meta: { title: 'menu.receipts', group: 'menu.purchasing', permission: 'purchase.view' },
  },
  {
    path: '/purchasing/receipts/new',
    component: () => import('./ReceiptForm.vue'),
    meta: { title: 'gr.new', permission: 'stock.receive', menu: false },
  },
  {
    path: '/purchasing/receipts/:id',
    component: () => import('./ReceiptDetail.vue'),
    props: true,
    meta: { title: 'gr.title', permission: 'purchase.view', menu: false },
  },
  {
    path: '/purchasing/receipts/:id/return',
    component: () => import('./PurchaseReturnForm.vue'),
    props: true,
    meta: { title: 'ret.toSupplier', permission: 'purchase.return', menu: false },
  },
  {
    path: '/purchasing/returns',
    component: () => import('./PurchaseReturnList.vue'),
    meta: { title: 'menu.purchaseReturns', group: 'menu.purchasing', permission: 'purchase.view' },
  },
  {
    path: '/purchasing/bills',
    component: () => import('./BillList.vue'),
    meta: { title: 'menu.bills', group: 'menu.purchasing', permission: 'purchase.view' },
  },
  {
    path: '/purchasing/bills/new',
    component: () => import('./BillForm.vue'),
    meta: { title: 'bill.new', permission: 'purchase.bill.edit', menu: false },
  },
  {
    path: '/purchasing/bills/:id',
    component: () => import('./BillDetail.vue'),
    props: true,
    meta: { title: 'bill.title', permission: 'purchase.view', menu: false },
  },
  {
    path: '/purchasing/payments',
    component: () => import('./PaymentList.vue'),
    meta: { title: 'menu.payments', group: 'menu.purchasing', permission: 'purchase.view' },
  },
  {
    path: '/purchasing/payments/new',
    component: () => import('./PaymentForm.vue'),
    meta: { title: 'pay.new', permission: 'finance.payment', menu: false },
  },
]
