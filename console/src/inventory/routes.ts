import type { RouteRecordRaw } from 'vue-router'

// The inventory screens of issue #17 come here (one folder per domain, mirroring schema/inventory).
export const routes: RouteRecordRaw[] = []
