// Live notifications for the header bell: document status changes the user may see, and low stock.
import { graphql } from '@/gql'

export const DocumentNotifications = graphql(`
  subscription DocumentNotifications {
    documentStatusChanged {
      seq
      occurredAt
      documentType
      documentId
      number
      fromStatus
      toStatus
      actor
    }
  }
`)

export const LowStockNotifications = graphql(`
  subscription LowStockNotifications {
    lowStock {
      seq
      occurredAt
      available
      minQuantity
      product { sku name }
      warehouse { name }
    }
  }
`)
