import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/admin/users',
    component: () => import('./UserList.vue'),
    meta: { title: 'menu.users', group: 'menu.admin', permission: 'user.admin' },
  },
  {
    path: '/admin/roles',
    component: () => import('./RoleList.vue'),
    meta: { title: 'menu.roles', group: 'menu.admin', permission: 'user.admin' },
  },
  {
    path: '/admin/tokens',
    component: () => import('./TokenList.vue'),
    meta: { title: 'menu.tokens', group: 'menu.admin', permission: 'user.admin' },
  },
  {
    path: '/admin/webhooks',
    component: () => import('./WebhookList.vue'),
    meta: { title: 'menu.webhooks', group: 'menu.admin', permission: 'webhook.manage' },
  },
  {
    path: '/admin/audit',
    component: () => import('./AuditLog.vue'),
    meta: { title: 'menu.audit', group: 'menu.admin', permission: 'audit.view' },
  },
]
