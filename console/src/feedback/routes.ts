import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/admin/feedback',
    component: () => import('./FeedbackAdmin.vue'),
    meta: { title: 'menu.feedback', group: 'menu.admin', permission: 'user.admin' },
  },
]
