import { graphql } from '@/gql'

export const VouchersQuery = graphql(`
  query Vouchers($period: Int, $status: VoucherStatus, $first: Int, $after: String) {
    vouchers(period: $period, status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          number
          period
          voucherDate
          status
          origin
          sourceType
          sourceNumber
          memo
          total
          createdBy
          reviewedBy
          postedBy
        }
      }
    }
  }
`)

export const TrialBalanceQuery = graphql(`
  query TrialBalance($period: Int!) {
    trialBalance(period: $period) { code name nameEn isLeaf opening debit credit closing }
  }
`)

export const FinancialStatementQuery = graphql(`
  query FinancialStatement($kind: StatementKind!, $period: Int!) {
    financialStatement(kind: $kind, period: $period) {
      kind
      title
      titleEn
      period
      columns
      xlsxUrl
      pdfUrl
      rows { key label labelEn values isTotal }
    }
  }
`)
