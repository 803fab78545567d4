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
