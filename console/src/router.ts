import { createRouter, createWebHistory } from 'vue-router'
import { consoleRoutes } from './routes'
import { can, loadMe, session } from './auth/session'
import { whenSignedOut } from './api/client'
import { menuOf } from './layout/menu'
import type { MenuMeta } from './layout/menu'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/signin', component: () => import('./auth/SignIn.vue'), meta: { public: true } },
    // the handheld page (issue #18): its own layout, signed in by the device token it keeps
    { path: '/scan', component: () => import('./scan/ScanApp.vue'), meta: { public: true } },
    { path: '/scan/pair', component: () => import('./scan/ScanPair.vue'), meta: { permission: 'device.pair' } },
    {
      path: '/',
      component: () => import('./layout/AppLayout.vue'),
      children: [
        { path: '', component: { render: () => null }, meta: { home: true } },
        ...consoleRoutes,
        { path: ':rest(.*)*', component: () => import('./common/NotFound.vue') },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const me = await loadMe()
  if (!me) return { path: '/signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.meta.home) {
    // the first screen the user may see
    const first = menuOf(consoleRoutes)[0]?.items[0]
    return first ? first.path : true
  }
  const meta = to.meta as Partial<MenuMeta>
  if (meta.permission && !can(meta.permission)) return '/'
  if (meta.anyPermission && !meta.anyPermission.some((p) => can(p))) return '/'
  return true
})

whenSignedOut(() => {
  session.me = null
  if (router.currentRoute.value.path !== '/signin') void router.push({ path: '/signin', query: { next: router.currentRoute.value.fullPath } })
})
