// Vouchers (记账凭证): the list with each voucher's lines, a manual voucher, and its way through
// 审核 → 记账, 红字冲销 and deleting a draft. The server decides every step and says why not.
import { graphql } from '@/gql'

export const VoucherFieldsFragment = graphql(`
  fragment VoucherFields on Voucher {
    id
    number
    period
    voucherDate
    documentDate
    status
    origin
    sourceType
    sourceNumber
    memo
    total
    createdBy
    reviewedBy
    postedBy
    createdAt
    reversalOf
    lines { id lineNo accountCode debit credit memo customerId supplierId warehouseId departmentId }
  }
`)

export const VoucherListQuery = graphql(`
  query VoucherList($period: Int, $status: VoucherStatus, $first: Int, $after: String) {
    vouchers(period: $period, status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...VoucherFields } }
    }
  }
`)

// the chart (科目表) and the dimensions a line may name (辅助核算)
export const VoucherAccountsQuery = graphql(`
  query VoucherAccounts {
    accounts { code parentCode name nameEn category direction dimensions isLeaf active }
  }
`)

export const VoucherDepartmentsQuery = graphql(`
  query VoucherDepartments {
    departments { id code name }
  }
`)

export const VoucherWarehousesQuery = graphql(`
  query VoucherWarehouses {
    warehouses(active: true, first: 100) { edges { node { id code name } } }
  }
`)

// a line's customer or supplier, by id (a voucher line carries only the id)
export const VoucherPartnerQuery = graphql(`
  query VoucherPartner($id: ID!) {
    node(id: $id) {
      id
      ... on Customer { code name }
      ... on Supplier { code name }
    }
  }
`)

export const CreateVoucherMutation = graphql(`
  mutation VoucherCreate($input: VoucherInput!) {
    createVoucher(input: $input) {
      voucher { ...VoucherFields }
      errors { field code message }
    }
  }
`)

export const ReviewVoucherMutation = graphql(`
  mutation VoucherReview($id: ID!) {
    reviewVoucher(id: $id) {
      voucher { ...VoucherFields }
      errors { field code message }
    }
  }
`)

export const PostVoucherMutation = graphql(`
  mutation VoucherPost($id: ID!) {
    postVoucher(id: $id) {
      voucher { ...VoucherFields }
      errors { field code message }
    }
  }
`)

export const ReverseVoucherMutation = graphql(`
  mutation VoucherReverse($id: ID!, $on: Date) {
    reverseVoucher(id: $id, on: $on) {
      voucher { ...VoucherFields }
      errors { field code message }
    }
  }
`)

export const DeleteVoucherMutation = graphql(`
  mutation VoucherDelete($id: ID!) {
    deleteVoucher(id: $id) { ok errors { field code message } }
  }
`)
