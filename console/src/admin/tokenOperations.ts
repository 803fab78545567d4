// API and device tokens (API 令牌, user.admin): the list (apiTokens, newest first), issuing and revoking.
import { graphql } from '@/gql'

export const ApiTokensQuery = graphql(`
  query ApiTokens($first: Int, $after: String) {
    apiTokens(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { tokenId name role device active createdAt lastUsedAt revokedAt } }
    }
  }
`)

export const CreateApiTokenMutation = graphql(`
  mutation CreateApiToken($name: String!, $role: String!) {
    createApiToken(name: $name, role: $role) {
      id
      token
      errors { field code message }
    }
  }
`)

export const CreateDeviceTokenMutation = graphql(`
  mutation CreateDeviceTokenAdmin($name: String!) {
    createDeviceToken(name: $name) {
      id
      token
      errors { field code message }
    }
  }
`)

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($id: Int!) {
    revokeApiToken(id: $id) {
      ok
      errors { field code message }
    }
  }
`)
