import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/finance/vouchers',
    component: () => import('./VoucherList.vue'),
    meta: { title: 'menu.vouchers', group: 'menu.finance', permission: 'finance.view' },
  },
  {
    path: '/finance/vouchers/new',
    component: () => import('./VoucherForm.vue'),
    meta: { title: 'voucher.newTitle', group: 'menu.finance', permission: 'finance.post', menu: false },
  },
  {
    path: '/finance/ledgers',
    component: () => import('./LedgerPage.vue'),
    meta: { title: 'menu.ledgers', group: 'menu.finance', permission: 'finance.view' },
  },
  {
    path: '/finance/aging',
    component: () => import('./AgingPage.vue'),
    meta: { title: 'menu.aging', group: 'menu.finance', permission: 'finance.view', anyPermission: ['sales.view', 'purchase.view'] },
  },
  {
    path: '/finance/partner-statement',
    component: () => import('./PartnerStatementPage.vue'),
    meta: { title: 'menu.partnerStatement', group: 'menu.finance', permission: 'finance.view' },
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
