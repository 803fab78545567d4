import type { RouteRecordRaw } from 'vue-router'

// The partners screens of issue #17 come here (one folder per domain, mirroring schema/partners).
export const routes: RouteRecordRaw[] = []
