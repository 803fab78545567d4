// Imports (导入): a products, suppliers or customers file, checked (dry run) and then committed.
// urql's fetch exchange does not upload files, so the typed mutation below is printed and sent as a
// GraphQL multipart request (operations + map + the file) with the urql client's own credentials,
// CSRF header and language (fetchOptions). The server checks every row; the console shows its report.
import { print } from 'graphql'
import { graphql } from '@/gql'
import type { ImportDataMutation, ImportDataMutationVariables, ImportKind } from '@/gql/graphql'
import { checkSession, fetchOptions } from '@/api/client'
import type { PayloadError } from '@/api/errors'

export const ImportDataDocument = graphql(`
  mutation ImportData($kind: ImportKind!, $file: Upload!, $commit: Boolean!) {
    importData(kind: $kind, file: $file, commit: $commit) {
      report {
        kind
        committed
        rows
        created
        updated
        unchanged
        rowsWithErrors
        rowErrors { row column code message }
      }
      errors { field code message }
    }
  }
`)

export type ImportReport = NonNullable<ImportDataMutation['importData']['report']>
export type ImportRowError = ImportReport['rowErrors'][number]

export interface ImportResult {
  report: ImportReport | null
  errors: PayloadError[] // the file's errors (unreadable, no permission) and GraphQL/network errors
}

/** The kinds, with the permission each needs and its name in the download addresses. */
export const IMPORT_KINDS: { kind: ImportKind; path: string; permission: string; exported?: boolean }[] = [
  { kind: 'PRODUCTS', path: 'products', permission: 'catalog.edit' },
  { kind: 'SUPPLIERS', path: 'suppliers', permission: 'partner.edit' },
  { kind: 'CUSTOMERS', path: 'customers', permission: 'partner.edit' },
  { kind: 'WAREHOUSES', path: 'warehouses', permission: 'warehouse.edit' },
  { kind: 'BINS', path: 'bins', permission: 'warehouse.edit' },
  { kind: 'OPENING', path: 'opening', permission: 'finance.admin', exported: false },
]

interface GraphQLResponse {
  data?: ImportDataMutation | null
  errors?: { message: string; extensions?: Record<string, unknown> | null }[]
}

/** Send the file: a dry run (commit false) or the import itself. */
export async function importData(variables: ImportDataMutationVariables): Promise<ImportResult> {
  const operations = {
    operationName: 'ImportData',
    query: print(ImportDataDocument),
    variables: { ...variables, file: null },
  }
  const body = new FormData()
  body.append('operations', JSON.stringify(operations))
  body.append('map', JSON.stringify({ 0: ['variables.file'] }))
  body.append('0', variables.file, variables.file.name)
  const options = fetchOptions()
  let json: GraphQLResponse
  try {
    // no content-type header: the browser writes multipart/form-data with its boundary
    const resp = await fetch('/graphql', { ...options, method: 'POST', body })
    const text = await resp.text()
    try {
      json = JSON.parse(text) as GraphQLResponse
    } catch {
      return { report: null, errors: [{ code: 'HTTP', message: `HTTP ${resp.status} ${text.slice(0, 200)}` }] }
    }
  } catch (e) {
    return { report: null, errors: [{ code: 'NETWORK', message: (e as Error).message }] }
  }
  const graphqlErrors = json.errors ?? []
  checkSession(graphqlErrors)
  const payload = json.data?.importData
  return {
    report: payload?.report ?? null,
    errors: [
      ...(payload?.errors ?? []),
      ...graphqlErrors.map((e) => ({ field: null, code: String(e.extensions?.code ?? 'ERROR'), message: e.message })),
    ],
  }
}
