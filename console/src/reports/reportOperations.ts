// The reports (报表): sales and margin, stock as of a date, turnover, aging, slow movers, ABC.
// Cost-dependent figures (cost, margin, stock value, consumption) are asked for only from those
// allowed to see them ($costs = can('cost.view')); product names for ABC only with catalog.view.
import { graphql } from '@/gql'

export const SalesReportQuery = graphql(`
  query ReportSales($groupBy: SalesGrouping!, $start: Date, $end: Date, $costs: Boolean!) {
    salesReport(groupBy: $groupBy, start: $start, end: $end) {
      groupBy
      start
      end
      csvUrl
      xlsxUrl
      rows {
        key
        label
        quantity
        revenue
        cost @include(if: $costs)
        margin @include(if: $costs)
        marginPercent @include(if: $costs)
        sharePercent
        returnRatePercent
        previousRevenue
      }
      total {
        key
        label
        quantity
        revenue
        cost @include(if: $costs)
        margin @include(if: $costs)
        marginPercent @include(if: $costs)
        sharePercent
        returnRatePercent
        previousRevenue
      }
    }
  }
`)

export const StockAsOfQuery = graphql(`
  query ReportStock($on: Date!, $groupBy: StockGrouping!, $warehouseId: ID, $costs: Boolean!) {
    stockAsOf(on: $on, groupBy: $groupBy, warehouseId: $warehouseId) {
      key
      label
      quantity
      value @include(if: $costs)
    }
  }
`)

export const TurnoverQuery = graphql(`
  query ReportTurnover($start: Date, $end: Date, $groupBy: TurnoverGrouping!, $dayBasis: DayBasis!, $costs: Boolean!) {
    inventoryTurnover(start: $start, end: $end, groupBy: $groupBy, dayBasis: $dayBasis) {
      dayBasis
      rows {
        key
        label
        costOfSales @include(if: $costs)
        openingValue @include(if: $costs)
        closingValue @include(if: $costs)
        turnover
        daysOfInventory
      }
      total {
        key
        label
        costOfSales @include(if: $costs)
        openingValue @include(if: $costs)
        closingValue @include(if: $costs)
        turnover
        daysOfInventory
      }
    }
  }
`)

export const AgingQuery = graphql(`
  query ReportAging($on: Date) {
    stockAging(on: $on) {
      productId
      label
      quantity
      buckets
    }
  }
`)

export const SlowMoversQuery = graphql(`
  query ReportSlowMovers($days: Int!, $on: Date, $costs: Boolean!) {
    slowMovers(days: $days, on: $on) {
      productId
      label
      quantity
      value @include(if: $costs)
      lastIssue
      daysSinceIssue
      dead
    }
  }
`)

export const AbcQuery = graphql(`
  query ReportAbc($on: Date, $days: Int!, $warehouseId: ID, $costs: Boolean!) {
    abcClassification(on: $on, days: $days, warehouseId: $warehouseId) {
      productId
      consumption @include(if: $costs)
      rank
      abcClass
    }
  }
`)

export const ProductNamesQuery = graphql(`
  query ReportProductNames($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      id
      ... on Product {
        sku
        name
      }
    }
  }
`)
