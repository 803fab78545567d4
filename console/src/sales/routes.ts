import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/sales/orders',
    component: () => import('./SalesOrderList.vue'),
    meta: { title: 'menu.salesOrders', group: 'menu.sales', permission: 'sales.view' },
  },
  {
    path: '/sales/orders/new',
    component: () => import('./SalesOrderForm.vue'),
    meta: { title: 'so.new', permission: 'sales.order.edit', menu: false },
  },
  {
    path: '/sales/orders/:id',
    component: () => import('./SalesOrderDetail.vue'),
    props: true,
    meta: { title: 'so.title', permission: 'sales.view', menu: false },
  },
  {
    path: '/sales/shipments/:id/return',
    component: () => import('./SalesReturnForm.vue'),
    props: true,
    meta: { title: 'ret.fromCustomer', permission: 'sales.return', menu: false },
  },
  {
    path: '/sales/returns',
    component: () => import('./SalesReturnList.vue'),
    meta: { title: 'menu.salesReturns', group: 'menu.sales', permission: 'sales.view' },
  },
  {
    path: '/sales/invoices',
    component: () => import('./InvoiceList.vue'),
    meta: { title: 'menu.salesInvoices', group: 'menu.sales', permission: 'sales.view' },
  },
  {
    path: '/sales/invoices/:id',
    component: () => import('./InvoiceDetail.vue'),
    props: true,
    meta: { title: 'inv.title', permission: 'sales.view', menu: false },
  },
  {
    path: '/sales/invoices/:id/credit',
    component: () => import('./InvoiceCreditNoteForm.vue'),
    props: true,
    meta: { title: 'inv.newCredit', permission: 'sales.invoice', menu: false },
  },
  {
    path: '/sales/receipts',
    component: () => import('./CustomerReceiptList.vue'),
    meta: { title: 'menu.customerReceipts', group: 'menu.sales', permission: 'sales.view' },
  },
  {
    path: '/sales/receipts/new',
    component: () => import('./CustomerReceiptForm.vue'),
    meta: { title: 'rcpt.new', permission: 'finance.payment', menu: false },
  },
]
