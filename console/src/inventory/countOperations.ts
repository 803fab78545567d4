// Stock counts (盘点): open (blind by default), enter counted quantities, approve the differences.
// Book quantities and values are asked for only from those allowed to see them ($book, $costs).
import { graphql } from '@/gql'

export const StockCountsQuery = graphql(`
  query StockCountPage($status: StockCountStatus, $first: Int, $after: String, $book: Boolean!, $costs: Boolean!) {
    stockCounts(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          mode
          blind
          status
          countDate
          note
          createdBy
          approvedBy
          gain @include(if: $costs)
          loss @include(if: $costs)
          warehouse { id code name }
          lines {
            id
            countedQuantity
            countedBy
            recountRequired
            recountedQuantity
            recountedBy
            snapshotQuantity @include(if: $book)
            bookQuantity @include(if: $book)
            variance @include(if: $book)
            varianceValue @include(if: $costs)
            product { id sku name }
            location { id code }
            lot { code expiryDate }
          }
        }
      }
    }
  }
`)

export const OpenStockCountMutation = graphql(`
  mutation OpenCountFromList($input: OpenCountInput!) {
    openStockCount(input: $input) {
      count { id number }
      errors { field code message }
    }
  }
`)

export const RecordStockCountsMutation = graphql(`
  mutation RecordCountEntries($id: ID!, $entries: [CountEntryInput!]!) {
    recordStockCounts(id: $id, entries: $entries) {
      count { id number }
      errors { field code message }
    }
  }
`)

export const ApproveStockCountMutation = graphql(`
  mutation ApproveCountFromList($id: ID!, $reason: String!) {
    approveStockCount(id: $id, reason: $reason) {
      count { id number status }
      errors { field code message }
    }
  }
`)

export const CancelStockCountMutation = graphql(`
  mutation CancelCountFromList($id: ID!) {
    cancelStockCount(id: $id) {
      count { id number status }
      errors { field code message }
    }
  }
`)
