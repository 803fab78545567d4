import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  {
    path: '/catalog/products',
    component: () => import('./ProductList.vue'),
    meta: { title: 'menu.products', group: 'menu.catalog', permission: 'catalog.view' },
  },
]
