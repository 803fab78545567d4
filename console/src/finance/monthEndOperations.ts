// Month-end close (期末结账): the accounting periods, the open period's unposted vouchers, and the
// period-end steps (转出未交增值税, 结转损益, 结账, 反结账). The server checks every precondition.
import { graphql } from '@/gql'

export const AccountingPeriodsQuery = graphql(`
  query MonthEndPeriods {
    accountingPeriods { period status closedBy closedAt }
  }
`)

// vouchers of the period that are not posted yet (a close is refused while any is left)
export const UnpostedVouchersQuery = graphql(`
  query MonthEndUnposted($period: Int!) {
    drafts: vouchers(period: $period, status: DRAFT, first: 1) { totalCount }
    reviewed: vouchers(period: $period, status: REVIEWED, first: 1) { totalCount }
  }
`)

export const TransferVatMutation = graphql(`
  mutation MonthEndTransferVat($period: Int!) {
    transferVat(period: $period) {
      vouchers { id number total memo }
      errors { field code message }
    }
  }
`)

export const CloseProfitAndLossMutation = graphql(`
  mutation MonthEndCloseProfit($period: Int!) {
    closeProfitAndLoss(period: $period) {
      vouchers { id number total memo }
      errors { field code message }
    }
  }
`)

export const ClosePeriodMutation = graphql(`
  mutation MonthEndClosePeriod($period: Int!) {
    closePeriod(period: $period) { ok errors { field code message } }
  }
`)

export const ReopenPeriodMutation = graphql(`
  mutation MonthEndReopenPeriod($period: Int!, $reason: String!) {
    reopenPeriod(period: $period, reason: $reason) { ok errors { field code message } }
  }
`)
