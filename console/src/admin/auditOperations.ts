// The audit log (审计日志): who changed what and when, newest first, filtered by the server.
import { graphql } from '@/gql'

export const AuditLogQuery = graphql(`
  query AuditLogPage($filter: AuditFilter, $first: Int, $after: String) {
    auditLog(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { at actor operation target details } }
    }
  }
`)
