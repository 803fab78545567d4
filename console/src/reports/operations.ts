import { graphql } from '@/gql'

export const DashboardQuery = graphql(`
  query Dashboard {
    dashboard {
      date
      salesToday
      marginToday
      salesMonthToDate
      marginMonthToDate
      stockValue
      turnover30Days
      lowStockCount
      openPurchaseOrders
      openSalesOrders
      overdueReceivables
    }
  }
`)

export const SalesTrendQuery = graphql(`
  query SalesTrend($start: Date!, $end: Date!) {
    salesReport(groupBy: DAY, start: $start, end: $end) {
      start
      end
      csvUrl
      xlsxUrl
      rows {
        key
        label
        revenue
      }
    }
  }
`)
