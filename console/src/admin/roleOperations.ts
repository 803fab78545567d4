// Roles (角色, user.admin): built-in and custom roles with their permission codes, and a new custom role.
import { graphql } from '@/gql'

export const RoleListQuery = graphql(`
  query RoleList($first: Int, $after: String) {
    roles(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { code name nameEn builtin permissions } }
    }
  }
`)

export const PermissionCodesQuery = graphql(`
  query PermissionCodes {
    permissionCodes { code name nameEn }
  }
`)

export const CreateRoleMutation = graphql(`
  mutation CreateRole($code: String!, $name: String!, $nameEn: String!, $permissions: [String!]!) {
    createRole(code: $code, name: $name, nameEn: $nameEn, permissions: $permissions) {
      ok
      errors { field code message }
    }
  }
`)

export const UpdateRoleMutation = graphql(`
  mutation UpdateRole($code: String!, $name: String!, $nameEn: String!, $permissions: [String!]!) {
    updateRole(code: $code, name: $name, nameEn: $nameEn, permissions: $permissions) {
      ok
      errors { field code message }
    }
  }
`)

export const DeleteRoleMutation = graphql(`
  mutation DeleteRole($code: String!) {
    deleteRole(code: $code) {
      ok
      errors { field code message }
    }
  }
`)
