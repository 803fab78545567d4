import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/dashboard',
    component: () => import('./DashboardPage.vue'),
    meta: { title: 'menu.dashboard', permission: 'report.view' },
  },
]
