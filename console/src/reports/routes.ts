import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/dashboard',
    component: () => import('./DashboardPage.vue'),
    meta: { title: 'menu.dashboard', permission: 'report.view' },
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
