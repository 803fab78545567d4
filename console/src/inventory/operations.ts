import { graphql } from '@/gql'

export const WarehouseOptionsQuery = graphql(`
  query WarehouseOptions {
    warehouses(active: true, first: 100) {
      edges {
        node {
          id
          code
          name
        }
      }
    }
  }
`)

export const StockLevelsQuery = graphql(`
  query StockLevels($filter: StockLevelFilter, $first: Int, $after: String) {
    stockLevels(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          quantity
          updatedAt
          product { id sku name }
          warehouse { id code name }
          location { id code name }
          lot { code expiryDate }
        }
      }
    }
  }
`)

export const StockMovesQuery = graphql(`
  query StockMoves($filter: StockMoveFilter, $first: Int, $after: String) {
    stockMoves(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          moveType
          quantity
          value
          reason
          sourceDocument
          actor
          createdAt
          lot { code }
          fromLocation { code }
          toLocation { code }
        }
      }
    }
  }
`)

export const ProductHeadQuery = graphql(`
  query ProductHead($id: ID!) {
    node(id: $id) {
      __typename
      ... on Product { id sku name }
    }
  }
`)

export const LocationOptionsQuery = graphql(`
  query LocationOptions($warehouseId: ID, $text: String) {
    locations(filter: { warehouseId: $warehouseId, text: $text, active: true }, first: 30) {
      edges { node { id code name } }
    }
  }
`)
