// Sales returns (销售退货): shipped goods come back from the customer against their shipment, into
// the bin they were shipped from, at the cost they were issued at; the invoiced part is credited.
import { graphql } from '@/gql'

export const SalesReturnsQuery = graphql(`
  query SalesReturns($customerId: ID, $first: Int, $after: String, $costs: Boolean!) {
    salesReturns(customerId: $customerId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          returnDate
          reason
          actor
          cost @include(if: $costs)
          shipment { id number order { id number } customer { id code name } }
          creditNote { id number }
        }
      }
    }
  }
`)

export const OrderShipmentListQuery = graphql(`
  query OrderShipmentList($orderId: ID!) {
    shipments(orderId: $orderId, first: 50) {
      edges {
        node {
          id
          number
          shipDate
          actor
          lines { id quantity returnedQuantity }
        }
      }
    }
  }
`)

export const ReturnableShipmentQuery = graphql(`
  query ReturnableShipment($id: ID!) {
    node(id: $id) {
      __typename
      ... on Shipment {
        id
        number
        shipDate
        customer { id code name }
        order { id number }
        lines {
          id
          lineNo
          quantity
          returnedQuantity
          product { id sku name baseUnit { id name } }
          location { id code }
          lot { code }
        }
      }
    }
  }
`)

export const TakeBackGoodsMutation = graphql(`
  mutation TakeBackGoods($input: SalesReturnInput!, $idempotencyKey: String) {
    takeBackGoods(input: $input, idempotencyKey: $idempotencyKey) {
      salesReturn { id number }
      errors { field code message }
    }
  }
`)
