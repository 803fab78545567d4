import { graphql } from '@/gql'

export const SupplierOptionsQuery = graphql(`
  query SupplierOptions($text: String) {
    suppliers(filter: { text: $text, active: true }, first: 20) {
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
