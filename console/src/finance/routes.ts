import type { RouteRecordRaw } from 'vue-router'

// The finance screens of issue #17 come here (one folder per domain, mirroring schema/finance).
export const routes: RouteRecordRaw[] = []
