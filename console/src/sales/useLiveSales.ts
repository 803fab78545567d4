// Live sales orders: documentStatusChanged (SALES_ORDER); each change refetches (debounced).
import { onBeforeUnmount, ref } from 'vue'
import { useSubscription } from '@urql/vue'
import { SalesOrderChanges } from './operations'

export function useLiveSales(refetch: () => void) {
  const last = ref<{ number: string; fromStatus: string; toStatus: string; actor: string } | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  useSubscription({ query: SalesOrderChanges }, (_prev, data) => {
    last.value = data.documentStatusChanged
    clearTimeout(timer)
    timer = setTimeout(refetch, 150)
    return data
  })
  onBeforeUnmount(() => clearTimeout(timer))
  return { last }
}
