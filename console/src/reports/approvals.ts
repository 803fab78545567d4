import { graphql } from '@/gql'

// 待我审批 (approvalsInbox): what waits for the signed-in user, decided by the server
export const ApprovalsInboxQuery = graphql(`
  query ApprovalsInbox {
    approvalsInbox {
      kind
      id
      number
      status
      reason
      partner
      amount
      submittedBy
      createdAt
      step
      steps
    }
  }
`)

export const ApproveSupplierBillMutation = graphql(`
  mutation ApproveSupplierBill($id: ID!, $comment: String!) {
    approveSupplierBill(id: $id, comment: $comment) {
      errors { field code message }
    }
  }
`)

export const DecideExpenseMutation = graphql(`
  mutation DecideExpense($id: ID!, $approve: Boolean!, $comment: String!) {
    decideExpense(id: $id, approve: $approve, comment: $comment) {
      errors { field code message }
    }
  }
`)

export const ApproveStockCountMutation = graphql(`
  mutation ApproveStockCount($id: ID!, $reason: String!) {
    approveStockCount(id: $id, reason: $reason) {
      errors { field code message }
    }
  }
`)

export const ReviewVoucherMutation = graphql(`
  mutation ReviewVoucher($id: ID!) {
    reviewVoucher(id: $id) {
      errors { field code message }
    }
  }
`)

export const DocumentChanges = graphql(`
  subscription DocumentChanges {
    documentStatusChanged {
      seq
      documentId
      number
      fromStatus
      toStatus
      actor
    }
  }
`)
