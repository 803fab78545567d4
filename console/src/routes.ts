// Every screen, gathered from the domain folders (each mirrors schema/<domain>); the order here is
// the menu's order. Every screen is loaded lazily (its own chunk).
import type { RouteRecordRaw } from 'vue-router'
import { routes as reports } from './reports/routes'
import { routes as catalog } from './catalog/routes'
import { routes as partners } from './partners/routes'
import { routes as purchasing } from './purchasing/routes'
import { routes as sales } from './sales/routes'
import { routes as inventory } from './inventory/routes'
import { routes as finance } from './finance/routes'
import { routes as admin } from './admin/routes'
import { routes as imports } from './imports/routes'
import { routes as feedback } from './feedback/routes'

export const consoleRoutes: RouteRecordRaw[] = [
  ...reports,
  ...catalog,
  ...partners,
  ...purchasing,
  ...sales,
  ...inventory,
  ...finance,
  ...admin,
  ...feedback,
  ...imports,
]
