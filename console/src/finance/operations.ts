import { graphql } from '@/gql'

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
