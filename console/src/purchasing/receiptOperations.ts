// Goods receipts (到货验收 → 采购入库): receive a purchase order's lines into bins, with lots,
// expiry and serials for tracked products and the inspection result (accepted / rejected + reason).
import { graphql } from '@/gql'

export const GoodsReceiptsQuery = graphql(`
  query GoodsReceipts($orderId: ID, $supplierId: ID, $first: Int, $after: String) {
    goodsReceipts(orderId: $orderId, supplierId: $supplierId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          inspectionNumber
          receiptDate
          actor
          goodsValue
          supplier { id code name }
          warehouse { id code name }
          order { id number }
        }
      }
    }
  }
`)

export const GoodsReceiptQuery = graphql(`
  query GoodsReceipt($id: ID!, $costs: Boolean!) {
    node(id: $id) {
      __typename
      ... on GoodsReceipt {
        id
        number
        inspectionNumber
        receiptDate
        note
        actor
        createdAt
        goodsValue @include(if: $costs)
        landedCost @include(if: $costs)
        supplier { id code name }
        warehouse { id code name }
        order { id number }
        lines {
          id
          lineNo
          receivedQuantity
          acceptedQuantity
          rejectedQuantity
          rejectReason
          billedQuantity
          returnedQuantity
          unitPrice @include(if: $costs)
          value @include(if: $costs)
          product { id sku name }
          location { id code name }
          lot { code expiryDate }
        }
      }
    }
  }
`)

export const ReceivableOrderQuery = graphql(`
  query ReceivableOrder($id: ID!) {
    node(id: $id) {
      __typename
      ... on PurchaseOrder {
        id
        number
        status
        supplier { id code name }
        warehouse { id code name }
        lines {
          id
          lineNo
          quantity
          baseQuantity
          receivedQuantity
          acceptedQuantity
          openQuantity
          unit { id code name }
          product { id sku name tracking baseUnit { id name } }
        }
      }
    }
  }
`)

export const ReceiveGoodsMutation = graphql(`
  mutation ReceiveGoods($input: GoodsReceiptInput!, $idempotencyKey: String) {
    receiveGoods(input: $input, idempotencyKey: $idempotencyKey) {
      receipt { id number }
      errors { field code message }
    }
  }
`)
