// Purchase returns (采购退货): accepted goods of a goods receipt go back to the supplier, out of the
// bin they were put away into, with a debit note (红字发票) for the supplier.
import { graphql } from '@/gql'

export const PurchaseReturnsQuery = graphql(`
  query PurchaseReturns($supplierId: ID, $first: Int, $after: String, $costs: Boolean!) {
    purchaseReturns(supplierId: $supplierId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          returnDate
          reason
          actor
          value @include(if: $costs)
          supplier { id code name }
          receipt { id number }
          debitNote { id number }
        }
      }
    }
  }
`)

export const ReturnToSupplierMutation = graphql(`
  mutation ReturnToSupplier($input: PurchaseReturnInput!, $idempotencyKey: String) {
    returnToSupplier(input: $input, idempotencyKey: $idempotencyKey) {
      purchaseReturn { id number }
      errors { field code message }
    }
  }
`)

// the receipt as the return form needs it: no prices (the form is for whoever may return, cost.view or not)
export const ReturnableReceiptQuery = graphql(`
  query ReturnableReceipt($id: ID!) {
    node(id: $id) {
      __typename
      ... on GoodsReceipt {
        id
        number
        receiptDate
        supplier { id code name }
        warehouse { id code name }
        lines {
          id
          lineNo
          acceptedQuantity
          returnedQuantity
          product { id sku name baseUnit { id name } }
          location { id code }
          lot { code }
        }
      }
    }
  }
`)
