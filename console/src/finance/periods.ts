// An accounting period is yyyymm (e.g. 202612); the console starts at the current month.
export function currentPeriod(d = new Date()): number {
  return d.getFullYear() * 100 + d.getMonth() + 1
}
