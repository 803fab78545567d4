// Supplier bills (采购发票, three-way matched against receipt lines) and payments (付款) with their
// allocation to bills.
import { graphql } from '@/gql'

export const SupplierBillsQuery = graphql(`
  query SupplierBills($filter: SupplierBillFilter, $first: Int, $after: String) {
    supplierBills(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          kind
          status
          supplierInvoiceNo
          billDate
          dueDate
          total
          paid
          openAmount
          supplier { id code name }
        }
      }
    }
  }
`)

export const SupplierBillQuery = graphql(`
  query SupplierBill($id: ID!) {
    node(id: $id) {
      __typename
      ... on SupplierBill {
        id
        number
        kind
        status
        supplierInvoiceNo
        billDate
        dueDate
        amount
        tax
        total
        paid
        openAmount
        approvedBy
        actor
        createdAt
        supplier { id code name }
        lines { lineNo quantity unitPrice vatRate amount tax flags receiptLineId product { id sku name } }
      }
    }
  }
`)

export const BillableReceiptsQuery = graphql(`
  query BillableReceipts($supplierId: ID!, $first: Int, $after: String) {
    goodsReceipts(supplierId: $supplierId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          receiptDate
          order { number }
          lines {
            id
            lineNo
            acceptedQuantity
            billedQuantity
            returnedQuantity
            unitPrice
            product { id sku name vatRate }
          }
        }
      }
    }
  }
`)

export const CreateSupplierBillMutation = graphql(`
  mutation CreateSupplierBill($input: SupplierBillInput!, $idempotencyKey: String) {
    createSupplierBill(input: $input, idempotencyKey: $idempotencyKey) {
      bill { id number status }
      errors { field code message }
    }
  }
`)

export const ApproveSupplierBillMutation = graphql(`
  mutation ApproveBillFromDetail($id: ID!, $comment: String!) {
    approveSupplierBill(id: $id, comment: $comment) {
      bill { id number status }
      errors { field code message }
    }
  }
`)

export const SupplierPaymentsQuery = graphql(`
  query SupplierPayments($supplierId: ID, $first: Int, $after: String) {
    supplierPayments(supplierId: $supplierId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          paymentDate
          amount
          unallocated
          method
          reference
          actor
          supplier { id code name }
          allocations { amount at bill { id number } }
        }
      }
    }
  }
`)

export const OpenBillsQuery = graphql(`
  query OpenBills($supplierId: ID!) {
    supplierBills(filter: { supplierId: $supplierId, status: OPEN, kind: BILL }, first: 100) {
      edges { node { id number billDate dueDate total openAmount supplierInvoiceNo } }
    }
  }
`)

export const RecordSupplierPaymentMutation = graphql(`
  mutation RecordSupplierPayment($input: SupplierPaymentInput!, $idempotencyKey: String) {
    recordSupplierPayment(input: $input, idempotencyKey: $idempotencyKey) {
      payment { id number unallocated }
      errors { field code message }
    }
  }
`)

export const AllocatePrepaymentMutation = graphql(`
  mutation AllocatePrepayment($paymentId: ID!, $allocations: [AllocationInput!]!) {
    allocatePrepayment(paymentId: $paymentId, allocations: $allocations) {
      payment { id number unallocated }
      errors { field code message }
    }
  }
`)
