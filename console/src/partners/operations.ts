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

// The master-data screens (#17): suppliers and customers, server-side filter and paging.
export const SuppliersQuery = graphql(`
  query Suppliers($filter: PartnerFilter, $first: Int, $after: String) {
    suppliers(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          code
          name
          contactName
          phone
          email
          address
          taxId
          active
          paymentTermsDays
          currency
          bankName
          bankAccount
        }
      }
    }
  }
`)

export const CustomersQuery = graphql(`
  query Customers($filter: PartnerFilter, $first: Int, $after: String) {
    customers(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          code
          name
          contactName
          phone
          email
          address
          taxId
          active
          paymentTermsDays
          creditRating
          creditLimit
          invoiceTitle
          invoiceType
          discount
        }
      }
    }
  }
`)

export const CreateSupplierMutation = graphql(`
  mutation CreateSupplier($input: PartnerInput!, $idempotencyKey: String) {
    createSupplier(input: $input, idempotencyKey: $idempotencyKey) {
      supplier {
        id
        code
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const UpdateSupplierMutation = graphql(`
  mutation UpdateSupplier($id: ID!, $input: PartnerInput!) {
    updateSupplier(id: $id, input: $input) {
      supplier {
        id
        code
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const SetSupplierActiveMutation = graphql(`
  mutation SetSupplierActive($id: ID!, $active: Boolean!) {
    setSupplierActive(id: $id, active: $active) {
      supplier {
        id
        active
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const CreateCustomerMutation = graphql(`
  mutation CreateCustomer($input: PartnerInput!, $idempotencyKey: String) {
    createCustomer(input: $input, idempotencyKey: $idempotencyKey) {
      customer {
        id
        code
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const UpdateCustomerMutation = graphql(`
  mutation UpdateCustomer($id: ID!, $input: PartnerInput!) {
    updateCustomer(id: $id, input: $input) {
      customer {
        id
        code
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const SetCustomerActiveMutation = graphql(`
  mutation SetCustomerActive($id: ID!, $active: Boolean!) {
    setCustomerActive(id: $id, active: $active) {
      customer {
        id
        active
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

// A supplier's price list and scorecard (both need purchase.view; prices are edited with purchase.order.edit).
export const SupplierPricesQuery = graphql(`
  query SupplierPrices($supplierId: ID, $first: Int, $after: String) {
    supplierPrices(supplierId: $supplierId, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          unitPrice
          vatRate
          minOrderQuantity
          packQuantity
          leadTimeDays
          validFrom
          validTo
          product {
            id
            sku
            name
          }
        }
      }
    }
  }
`)

export const CreateSupplierPriceMutation = graphql(`
  mutation CreateSupplierPrice($input: SupplierPriceInput!) {
    createSupplierPrice(input: $input) {
      price {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const EndSupplierPriceMutation = graphql(`
  mutation EndSupplierPrice($id: ID!, $validTo: Date!) {
    endSupplierPrice(id: $id, validTo: $validTo) {
      price {
        id
        validTo
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const SupplierScorecardQuery = graphql(`
  query SupplierScorecard($supplierId: ID!) {
    supplierScorecard(supplierId: $supplierId) {
      receipts
      lines
      onTimeRate
      acceptanceRate
      averageLeadTimeDays
      priceIndex
    }
  }
`)

export const SupplierHeadQuery = graphql(`
  query SupplierHead($id: ID!) {
    node(id: $id) {
      __typename
      ... on Supplier {
        id
        code
        name
        active
        paymentTermsDays
        currency
      }
    }
  }
`)
