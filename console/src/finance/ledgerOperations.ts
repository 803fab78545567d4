// Ledgers and partner balances: 明细账 and 总账 of an account, 应收/应付账龄, 对账单.
import { graphql } from '@/gql'

export const DetailLedgerQuery = graphql(`
  query LedgerDetail($accountCode: String!, $fromPeriod: Int!, $toPeriod: Int!, $customerId: ID, $supplierId: ID, $first: Int!, $offset: Int!) {
    detailLedger(accountCode: $accountCode, fromPeriod: $fromPeriod, toPeriod: $toPeriod, customerId: $customerId, supplierId: $supplierId, first: $first, offset: $offset) {
      accountCode
      opening
      debit
      credit
      closing
      lines { voucherId lineId number date accountCode memo debit credit balance }
    }
  }
`)

export const GeneralLedgerQuery = graphql(`
  query LedgerGeneral($accountCode: String!, $year: Int!) {
    generalLedger(accountCode: $accountCode, year: $year) { period opening debit credit closing }
  }
`)

export const ReceivablesAgingQuery = graphql(`
  query AgingReceivables($asOf: Date, $first: Int, $after: String) {
    customerReceivables(asOf: $asOf, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          balance
          notDue
          days130
          days3160
          days6190
          over90
          customer { id code name }
        }
      }
    }
  }
`)

export const PayablesAgingQuery = graphql(`
  query AgingPayables($asOf: Date, $first: Int, $after: String) {
    supplierPayables(asOf: $asOf, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          balance
          notDue
          days130
          days3160
          days6190
          over90
          supplier { id code name }
        }
      }
    }
  }
`)

export const PartnerStatementQuery = graphql(`
  query PartnerStatementOf($partnerId: ID!, $fromDate: Date!, $toDate: Date!) {
    partnerStatement(partnerId: $partnerId, fromDate: $fromDate, toDate: $toDate) {
      opening
      closing
      lines { date voucher documentType document memo increase decrease balance }
    }
  }
`)
