// One transfer by id (transfer(id)); null when it does not exist or lies outside the caller's warehouses.
import { computed, type Ref } from 'vue'
import { useQuery } from '@urql/vue'
import { TransferQuery } from './transferOperations'
import type { TransferFieldsFragment } from '@/gql/graphql'

export type TransferNode = TransferFieldsFragment

export function useTransfer(id: Ref<string>) {
  const q = useQuery({ query: TransferQuery, variables: computed(() => ({ id: id.value })), requestPolicy: 'cache-and-network' })
  const transfer = computed(() => q.data.value?.transfer ?? null)
  const notFound = computed(() => !q.fetching.value && !q.error.value && q.data.value !== undefined && !q.data.value.transfer)
  return {
    transfer,
    error: q.error,
    fetching: q.fetching,
    notFound,
    reload: () => q.executeQuery({ requestPolicy: 'network-only' }),
  }
}
