// Reorder rules (min/max per product and warehouse) and suggestions (补货建议) turned into purchase
// orders. The server lists no rules as such: a product's rules come with its availability per warehouse.
import { graphql } from '@/gql'

export const ReorderRulesOfProductQuery = graphql(`
  query ReorderRulesOfProduct($productId: ID!) {
    availability(productId: $productId) {
      onHand
      available
      minQuantity
      maxQuantity
      warehouse { id code name }
    }
  }
`)

export const SetReorderRuleMutation = graphql(`
  mutation SetReorderRule($productId: ID!, $warehouseId: ID!, $minQuantity: Quantity!, $maxQuantity: Quantity!) {
    setReorderRule(productId: $productId, warehouseId: $warehouseId, minQuantity: $minQuantity, maxQuantity: $maxQuantity) {
      ok
      errors { field code message }
    }
  }
`)

export const DeleteReorderRuleMutation = graphql(`
  mutation DeleteReorderRule($productId: ID!, $warehouseId: ID!) {
    deleteReorderRule(productId: $productId, warehouseId: $warehouseId) {
      ok
      errors { field code message }
    }
  }
`)

export const ReorderSuggestionsQuery = graphql(`
  query ReorderSuggestions($warehouseId: ID) {
    reorderSuggestions(warehouseId: $warehouseId) {
      available
      onOrder
      minQuantity
      maxQuantity
      quantity
      leadTimeDays
      product { id sku name baseUnit { id code name } }
      warehouse { id code name }
      supplier { id code name }
    }
  }
`)

export const ReorderPurchaseOrderMutation = graphql(`
  mutation ReorderPurchaseOrder($input: PurchaseOrderInput!, $idempotencyKey: String) {
    createPurchaseOrder(input: $input, idempotencyKey: $idempotencyKey) {
      order { id number status supplier { id name } }
      errors { field code message }
    }
  }
`)
