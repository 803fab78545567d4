import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/admin/users',
    component: () => import('./UserList.vue'),
    meta: { title: 'menu.users', group: 'menu.admin', permission: 'user.admin' },
  },
  {
    path: '/admin/audit',
    component: () => import('./AuditLog.vue'),
    meta: { title: 'menu.audit', group: 'menu.admin', permission: 'audit.view' },
  },
]
