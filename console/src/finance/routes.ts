import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/finance/vouchers',
    component: () => import('./VoucherList.vue'),
    meta: { title: 'menu.vouchers', group: 'menu.finance', permission: 'finance.view' },
  },
  {
    path: '/finance/statements',
    component: () => import('./StatementsPage.vue'),
    meta: { title: 'menu.statements', group: 'menu.finance', permission: 'finance.view' },
  },
  {
    path: '/finance/month-end',
    component: () => import('./MonthEndPage.vue'),
    meta: { title: 'menu.monthEnd', group: 'menu.finance', permission: 'finance.period' },
  },
]
