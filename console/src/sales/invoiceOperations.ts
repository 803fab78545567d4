// Sales invoices (销售发票) and credit notes (红字发票), customer receipts (收款) with their allocation
// to open invoices, and advances (预收) applied later.
import { graphql } from '@/gql'

export const SalesInvoicesQuery = graphql(`
  query SalesInvoices($filter: InvoiceFilter, $first: Int, $after: String) {
    salesInvoices(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          kind
          invoiceType
          status
          invoiceDate
          dueDate
          total
          received
          openAmount
          customer { id code name }
          originalInvoice { id number }
        }
      }
    }
  }
`)

export const SalesInvoiceQuery = graphql(`
  query SalesInvoice($id: ID!) {
    node(id: $id) {
      __typename
      ... on SalesInvoice {
        id
        number
        kind
        invoiceType
        status
        invoiceDate
        dueDate
        buyerName
        buyerTaxId
        sellerName
        sellerTaxId
        amount
        tax
        total
        totalInWords
        received
        openAmount
        remarks
        actor
        createdAt
        customer { id code name }
        originalInvoice { id number }
        lines { id lineNo itemName spec unitName quantity unitPrice vatRate amount tax shipmentLineId }
      }
    }
  }
`)

export const CreateCreditNoteMutation = graphql(`
  mutation CreateCreditNote($input: CreditNoteInput!, $idempotencyKey: String) {
    createCreditNote(input: $input, idempotencyKey: $idempotencyKey) {
      invoice { id number total }
      errors { field code message }
    }
  }
`)

export const ApplyCreditNoteMutation = graphql(`
  mutation ApplyCreditNote($creditNoteId: ID!, $invoiceId: ID!, $amount: Money!) {
    applyCreditNote(creditNoteId: $creditNoteId, invoiceId: $invoiceId, amount: $amount) {
      invoice { id number openAmount }
      errors { field code message }
    }
  }
`)

export const CustomerReceiptsQuery = graphql(`
  query CustomerReceipts($customerId: ID, $first: Int, $after: String) {
    customerReceipts(customerId: $customerId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          receiptDate
          amount
          unallocated
          method
          reference
          actor
          customer { id code name }
        }
      }
    }
  }
`)

export const OpenInvoicesQuery = graphql(`
  query OpenSalesInvoices($customerId: ID!) {
    salesInvoices(filter: { customerId: $customerId, status: OPEN, kind: INVOICE }, first: 100) {
      edges { node { id number invoiceDate dueDate total openAmount } }
    }
  }
`)

export const RecordCustomerReceiptMutation = graphql(`
  mutation RecordCustomerReceipt($input: CustomerReceiptInput!, $idempotencyKey: String) {
    recordCustomerReceipt(input: $input, idempotencyKey: $idempotencyKey) {
      receipt { id number unallocated }
      errors { field code message }
    }
  }
`)

export const ApplyAdvanceMutation = graphql(`
  mutation ApplyAdvance($receiptId: ID!, $allocations: [ReceiptAllocationInput!]!) {
    applyAdvance(receiptId: $receiptId, allocations: $allocations) {
      receipt { id number unallocated }
      errors { field code message }
    }
  }
`)
