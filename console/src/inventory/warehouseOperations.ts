import { graphql } from '@/gql'

// Warehouses and their bins (locations), maintained with warehouse.edit (#17).
export const WarehousesQuery = graphql(`
  query Warehouses($active: Boolean, $first: Int, $after: String) {
    warehouses(active: $active, first: $first, after: $after) {
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
          address
          active
        }
      }
    }
  }
`)

export const BinsQuery = graphql(`
  query Bins($filter: LocationFilter, $first: Int, $after: String) {
    locations(filter: $filter, first: $first, after: $after) {
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
          sortOrder
          active
          parent {
            id
            code
          }
        }
      }
    }
  }
`)

export const CreateWarehouseMutation = graphql(`
  mutation CreateWarehouse($input: CreateWarehouseInput!) {
    createWarehouse(input: $input) {
      warehouse {
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

export const UpdateWarehouseMutation = graphql(`
  mutation UpdateWarehouse($input: UpdateWarehouseInput!) {
    updateWarehouse(input: $input) {
      warehouse {
        id
        name
        address
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const SetWarehouseActiveMutation = graphql(`
  mutation SetWarehouseActive($id: ID!, $active: Boolean!) {
    setWarehouseActive(id: $id, active: $active) {
      warehouse {
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

export const CreateLocationMutation = graphql(`
  mutation CreateLocation($input: CreateLocationInput!) {
    createLocation(input: $input) {
      location {
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

export const UpdateLocationMutation = graphql(`
  mutation UpdateLocation($input: UpdateLocationInput!) {
    updateLocation(input: $input) {
      location {
        id
        name
        sortOrder
      }
      errors {
        field
        code
        message
      }
    }
  }
`)

export const SetLocationActiveMutation = graphql(`
  mutation SetLocationActive($id: ID!, $active: Boolean!) {
    setLocationActive(id: $id, active: $active) {
      location {
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
