// Available to sell (可售库存) per product and warehouse, and the safety stock kept back from the shops.
import { graphql } from '@/gql'

export const AvailableToSellQuery = graphql(`
  query AvailableToSell($warehouseId: ID, $first: Int, $after: String) {
    availableToSell(warehouseId: $warehouseId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          productId
          warehouseId
          available
          net
          onHand
          reserved
          safetyStock
          changedAt
          product { sku name baseUnit { name } }
          warehouse { code name }
        }
      }
    }
  }
`)

export const SetSafetyStockMutation = graphql(`
  mutation SetSafetyStock($productId: ID!, $warehouseId: ID!, $quantity: Quantity!) {
    setSafetyStock(productId: $productId, warehouseId: $warehouseId, quantity: $quantity) {
      ok
      errors { field code message }
    }
  }
`)
