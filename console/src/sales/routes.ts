import type { RouteRecordRaw } from 'vue-router'

// The sales screens of issue #17 come here (one folder per domain, mirroring schema/sales).
export const routes: RouteRecordRaw[] = []
