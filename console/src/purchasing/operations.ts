import { graphql } from '@/gql'

export const PurchaseOrdersQuery = graphql(`
  query PurchaseOrders($filter: PurchaseOrderFilter, $orderBy: DocumentOrder, $first: Int, $after: String) {
    purchaseOrders(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          number
          status
          orderDate
          createdBy
          total
          approvalsRequired
          approvalsDone
          supplier {
            id
            code
            name
          }
          warehouse {
            id
            code
            name
          }
        }
      }
    }
  }
`)

export const PurchaseOrderQuery = graphql(`
  query PurchaseOrder($id: ID!) {
    node(id: $id) {
      __typename
      ... on PurchaseOrder {
        id
        number
        status
        orderDate
        currency
        note
        approvalsRequired
        approvalsDone
        createdBy
        createdAt
        approvedAt
        amount
        tax
        total
        supplier {
          id
          code
          name
        }
        warehouse {
          id
          code
          name
        }
        lines {
          id
          lineNo
          quantity
          receivedQuantity
          unitPrice
          vatRate
          amount
          tax
          unit {
            code
            name
          }
          product {
            id
            sku
            name
          }
        }
        history {
          at
          actor
          action
          fromStatus
          toStatus
          comment
        }
      }
    }
  }
`)


export const CreatePurchaseOrderMutation = graphql(`
  mutation CreatePurchaseOrder($input: PurchaseOrderInput!, $idempotencyKey: String) {
    createPurchaseOrder(input: $input, idempotencyKey: $idempotencyKey) {
      order {
        id
        number
        status
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const SubmitPurchaseOrderMutation = graphql(`
  mutation SubmitPurchaseOrder($id: ID!) {
    submitPurchaseOrder(id: $id) {
      order {
        id
        number
        status
        approvalsRequired
        approvalsDone
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const ApprovePurchaseOrderMutation = graphql(`
  mutation ApprovePurchaseOrder($id: ID!, $comment: String!) {
    approvePurchaseOrder(id: $id, comment: $comment) {
      order {
        id
        number
        status
        approvalsDone
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const RejectPurchaseOrderMutation = graphql(`
  mutation RejectPurchaseOrder($id: ID!, $comment: String!) {
    rejectPurchaseOrder(id: $id, comment: $comment) {
      order {
        id
        number
        status
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const PurchaseOrderChanges = graphql(`
  subscription PurchaseOrderChanges {
    documentStatusChanged(documentTypes: [PURCHASE_ORDER]) {
      seq
      documentId
      number
      fromStatus
      toStatus
      actor
    }
  }
`)

export const UnapprovePurchaseOrderMutation = graphql(`
  mutation UnapprovePurchaseOrder($id: ID!, $comment: String!) {
    unapprovePurchaseOrder(id: $id, comment: $comment) {
      order { id number status }
      errors { field code message }
    }
  }
`)
