import { graphql } from '@/gql'

export const UsersQuery = graphql(`
  query Users($first: Int, $after: String) {
    users(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { username displayName active roles } }
    }
  }
`)

export const RolesQuery = graphql(`
  query Roles {
    roles(first: 100) { edges { node { code name nameEn } } }
  }
`)

export const CreateUserMutation = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      ok
      errors { field code message }
    }
  }
`)
