// Live purchase orders: documentStatusChanged (PURCHASE_ORDER) over the WebSocket; each change
// refetches the screen's query (debounced), so the list always shows what the server holds.
import { onBeforeUnmount, ref } from 'vue'
import { useSubscription } from '@urql/vue'
import { PurchaseOrderChanges } from './operations'

export function useLiveOrders(refetch: () => void) {
  const last = ref<{ number: string; fromStatus: string; toStatus: string; actor: string } | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  const sub = useSubscription({ query: PurchaseOrderChanges }, (_prev, data) => {
    last.value = data.documentStatusChanged
    clearTimeout(timer)
    timer = setTimeout(refetch, 150)
    return data
  })
  onBeforeUnmount(() => clearTimeout(timer))
  return { last, error: sub.error }
}
