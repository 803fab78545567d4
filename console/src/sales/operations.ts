import { graphql } from '@/gql'

export const SalesOrdersQuery = graphql(`
  query SalesOrders($filter: SalesOrderFilter, $orderBy: DocumentOrder, $first: Int, $after: String) {
    salesOrders(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          status
          orderDate
          createdBy
          total
          approvalsRequired { reason }
          approvalsDone
          customer { id code name }
          warehouse { id code name }
        }
      }
    }
  }
`)

export const SalesOrderQuery = graphql(`
  query SalesOrder($id: ID!) {
    node(id: $id) {
      __typename
      ... on SalesOrder {
        id
        number
        status
        orderDate
        note
        pricesIncludeVat
        approvalsRequired { reason }
        approvalsDone
        createdBy
        createdAt
        approvedAt
        amount
        tax
        total
        customer { id code name }
        warehouse { id code name }
        creditCheck { receivables uninvoicedOrders thisOrder exposure limit rating overLimit }
        platformOrder { source externalOrderId platformStatus consigneeName consigneePhone shipAddress holdCode receivedAt }
        lines {
          id
          lineNo
          quantity
          unitPrice
          discount
          vatRate
          amount
          total
          reservedQuantity
          shippedQuantity
          invoicedQuantity
          unit { code name }
          product { id sku name }
        }
        history { at actor action fromStatus toStatus comment }
      }
    }
  }
`)

export const CustomerOptionsQuery = graphql(`
  query CustomerOptions($text: String) {
    customers(filter: { text: $text, active: true }, first: 20) {
      edges { node { id code name creditLimit creditRating discount paymentTermsDays } }
    }
  }
`)

export const AvailabilityQuery = graphql(`
  query Availability($productId: ID!) {
    availability(productId: $productId) {
      onHand
      reserved
      available
      warehouse { id }
    }
  }
`)

export const CreateSalesOrderMutation = graphql(`
  mutation CreateSalesOrder($input: SalesOrderInput!, $idempotencyKey: String) {
    createSalesOrder(input: $input, idempotencyKey: $idempotencyKey) {
      order { id number status }
      errors { field code message }
    }
  }
`)

export const SubmitSalesOrderMutation = graphql(`
  mutation SubmitSalesOrder($id: ID!) {
    submitSalesOrder(id: $id) {
      order { id number status }
      errors { field code message }
    }
  }
`)

export const ApproveSalesOrderMutation = graphql(`
  mutation ApproveSalesOrder($id: ID!, $comment: String!) {
    approveSalesOrder(id: $id, comment: $comment) {
      order { id number status }
      errors { field code message }
    }
  }
`)

export const RejectSalesOrderMutation = graphql(`
  mutation RejectSalesOrder($id: ID!, $comment: String!) {
    rejectSalesOrder(id: $id, comment: $comment) {
      order { id number status }
      errors { field code message }
    }
  }
`)

export const PickListQuery = graphql(`
  query PickList($orderIds: [ID!]!) {
    pickList(orderIds: $orderIds) {
      quantity
      lot
      orderLineId
      location { id code }
      product { sku }
    }
  }
`)

export const ShipGoodsMutation = graphql(`
  mutation ShipGoods($input: ShipmentInput!, $idempotencyKey: String) {
    shipGoods(input: $input, idempotencyKey: $idempotencyKey) {
      errors { field code message }
    }
  }
`)

export const OrderShipmentsQuery = graphql(`
  query OrderShipments($orderId: ID!) {
    shipments(orderId: $orderId, first: 50) {
      edges { node { id number } }
    }
  }
`)

export const CreateSalesInvoiceMutation = graphql(`
  mutation CreateSalesInvoice($input: InvoiceInput!, $idempotencyKey: String) {
    createSalesInvoice(input: $input, idempotencyKey: $idempotencyKey) {
      errors { field code message }
    }
  }
`)

export const SalesOrderChanges = graphql(`
  subscription SalesOrderChanges {
    documentStatusChanged(documentTypes: [SALES_ORDER]) {
      seq
      documentId
      number
      fromStatus
      toStatus
      actor
    }
  }
`)

export const UnapproveSalesOrderMutation = graphql(`
  mutation UnapproveSalesOrder($id: ID!, $comment: String!) {
    unapproveSalesOrder(id: $id, comment: $comment) {
      order { id number status }
      errors { field code message }
    }
  }
`)
