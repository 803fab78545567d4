import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/dashboard',
    component: () => import('./DashboardPage.vue'),
    meta: { title: 'menu.dashboard', permission: 'report.view' },
  },
  // the reports live under /reporting: /reports/ is the server's (the downloads), a reload there would miss the console
  {
    path: '/reporting/sales',
    component: () => import('./ReportSales.vue'),
    meta: { title: 'menu.reportSales', group: 'menu.reports', permission: 'report.view' },
  },
  {
    path: '/reporting/stock',
    component: () => import('./ReportStock.vue'),
    meta: { title: 'menu.reportStock', group: 'menu.reports', permission: 'report.view' },
  },
  {
    path: '/reporting/turnover',
    component: () => import('./ReportTurnover.vue'),
    meta: { title: 'menu.reportTurnover', group: 'menu.reports', permission: 'report.view' },
  },
  {
    path: '/reporting/aging',
    component: () => import('./ReportAging.vue'),
    meta: { title: 'menu.reportAging', group: 'menu.reports', permission: 'report.view' },
  },
  {
    path: '/reporting/slow-movers',
    component: () => import('./ReportSlowMovers.vue'),
    meta: { title: 'menu.reportSlowMovers', group: 'menu.reports', permission: 'report.view' },
  },
  {
    path: '/reporting/abc',
    component: () => import('./ReportAbc.vue'),
    meta: { title: 'menu.reportAbc', group: 'menu.reports', permission: 'report.view' },
  },
  {
    path: '/approvals',
    component: () => import('./ApprovalsInbox.vue'),
    meta: {
      title: 'menu.approvals',
      // approvalsInbox answers everyone; the menu shows it to those who may decide something
      anyPermission: ['purchase.order.approve', 'sales.order.approve', 'sales.credit.approve', 'purchase.bill.approve', 'expense.approve', 'stock.count.approve', 'finance.review'],
    },
  },
]
