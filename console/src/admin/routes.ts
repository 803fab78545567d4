import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/admin/users',
    component: () => import('./UserList.vue'),
    meta: { title: 'menu.users', group: 'menu.admin', permission: 'user.admin' },
  },
]
