// Production orders (生产单): created from the product's bill of materials, components issued and
// returned from bins, finished goods received into a bin. A ProductionOrder is no Node: one order is
// found by walking the productionOrders connection (ProductionDetail). Values need cost.view ($costs).
// Lots expiring soon (临期批次, ExpiringSoonQuery) are here too.
import { graphql } from '@/gql'

export const ProductionOrderFields = graphql(`
  fragment ProductionOrderFields on ProductionOrder {
    id
    number
    status
    plannedQuantity
    receivedQuantity
    receivedValue @include(if: $costs)
    createdAt
    product { id sku name tracking }
    warehouse { id code name }
    lines {
      id
      requiredQuantity
      issuedQuantity
      returnedQuantity
      issuedValue @include(if: $costs)
      component { id sku name tracking }
    }
  }
`)

export const ProductionOrdersQuery = graphql(`
  query ProductionOrderPage($costs: Boolean!, $status: ProductionStatus, $first: Int, $after: String) {
    productionOrders(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...ProductionOrderFields } }
    }
  }
`)

export const CreateProductionOrderMutation = graphql(`
  mutation CreateProductionOrder($productId: ID!, $warehouseId: ID!, $quantity: Quantity!, $labour: Money!, $overhead: Money!) {
    createProductionOrder(productId: $productId, warehouseId: $warehouseId, quantity: $quantity, labour: $labour, overhead: $overhead) {
      order { id number status }
      errors { field code message }
    }
  }
`)

export const IssueMaterialsMutation = graphql(`
  mutation IssueMaterials($costs: Boolean!, $id: ID!, $lines: [MaterialLineInput!]!) {
    issueMaterials(id: $id, lines: $lines) {
      order { ...ProductionOrderFields }
      errors { field code message }
    }
  }
`)

export const ReturnMaterialsMutation = graphql(`
  mutation ReturnMaterials($costs: Boolean!, $id: ID!, $lines: [MaterialLineInput!]!) {
    returnMaterials(id: $id, lines: $lines) {
      order { ...ProductionOrderFields }
      errors { field code message }
    }
  }
`)

export const ReceiveFinishedGoodsMutation = graphql(`
  mutation ReceiveFinishedGoods($costs: Boolean!, $id: ID!, $quantity: Quantity!, $locationId: ID!, $complete: Boolean!, $lot: String, $expiryDate: Date) {
    receiveFinishedGoods(id: $id, quantity: $quantity, locationId: $locationId, complete: $complete, lot: $lot, expiryDate: $expiryDate) {
      order { ...ProductionOrderFields }
      errors { field code message }
    }
  }
`)

export const ExpiringSoonQuery = graphql(`
  query ExpiringSoon($days: Int!, $warehouseId: ID, $first: Int, $after: String) {
    expiringSoon(days: $days, warehouseId: $warehouseId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          lot
          expiryDate
          daysLeft
          quantity
          product { id sku name }
          location { id code name warehouse { id code name } }
        }
      }
    }
  }
`)
