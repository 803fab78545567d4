import { graphql } from '@/gql'

export const ProductsQuery = graphql(`
  query Products($filter: ProductFilter, $first: Int, $after: String) {
    products(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          sku
          name
          spec
          salePrice
          purchasePrice
          active
          category {
            id
            name
          }
          baseUnit {
            code
            name
          }
          barcodes {
            code
          }
        }
      }
    }
  }
`)

export const ProductOptionsQuery = graphql(`
  query ProductOptions($text: String) {
    products(filter: { text: $text, active: true }, first: 20) {
      edges {
        node {
          id
          sku
          name
          spec
          vatRate
          baseUnit {
            code
          }
        }
      }
    }
  }
`)
