// The server-side sort of a document list (`orderBy: DocumentOrder`): an Element Plus table's
// sort-change (its column `prop`, ascending/descending/none) becomes the query's variable, and the
// pager starts again at the first page. The server sorts in SQL; the table only shows the arrow.
import { ref } from 'vue'
import type { DocumentOrder, DocumentOrderField } from '@/gql/graphql'

/** What an Element Plus table's sort-change reports (the column's prop; no order: back to newest first). */
export interface SortChange {
  prop: string | null
  order: string | null
}

const FIELDS: Record<string, DocumentOrderField> = { number: 'NUMBER', orderDate: 'DATE', total: 'TOTAL', status: 'STATUS' }

export function useDocumentSort(onChange: () => void) {
  const orderBy = ref<DocumentOrder | null>(null)
  function sortChange({ prop, order }: SortChange) {
    const field = prop ? FIELDS[prop] : undefined
    orderBy.value = field && order ? { field, direction: order === 'ascending' ? 'ASC' : 'DESC' } : null
    onChange()
  }
  return { orderBy, sortChange }
}
