// GraphQL over fetch for the handheld page: the paired device's bearer token when there is one,
// otherwise the console's session cookie (and its CSRF header). Errors are told apart the way a
// queue needs them: `Unreachable` (no network, 5xx: send again later with the same ids) and
// `Refused` (the server answered with GraphQL errors: do not resend as is).
import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { stringifyDocument } from '@urql/core'
import { csrfToken } from '@/api/csrf'
import { currentLocale } from '@/i18n'

const TOKEN_KEY = 'jxc.scan.token'

export function deviceToken(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}
export function setDeviceToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token)
  else localStorage.removeItem(TOKEN_KEY)
}

export class Unreachable extends Error {}
export class Refused extends Error {
  constructor(
    message: string,
    public code: string,
  ) {
    super(message)
  }
}

export async function call<R, V>(doc: TypedDocumentNode<R, V>, variables: V, timeoutMs = 10_000): Promise<R> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-language': currentLocale() }
  const token = deviceToken()
  if (token) headers.authorization = `Bearer ${token}`
  else {
    const csrf = csrfToken()
    if (csrf) headers['x-csrf-token'] = csrf
  }
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), timeoutMs)
  let resp: Response
  try {
    resp = await fetch('/graphql', {
      method: 'POST',
      credentials: token ? 'omit' : 'same-origin',
      headers,
      body: JSON.stringify({ query: stringifyDocument(doc), variables }),
      signal: ctl.signal,
    })
  } catch (e) {
    throw new Unreachable(String(e))
  } finally {
    clearTimeout(timer)
  }
  if (resp.status >= 500 || resp.status === 429 || resp.status === 408) throw new Unreachable(`HTTP ${resp.status}`)
  let body: { data?: R; errors?: { message: string; extensions?: { code?: string } }[] }
  try {
    body = await resp.json()
  } catch {
    throw new Unreachable(`HTTP ${resp.status}`)
  }
  if (body.errors?.length) {
    const first = body.errors[0]
    throw new Refused(first.message, first.extensions?.code ?? 'ERROR')
  }
  if (!body.data) throw new Unreachable('no data')
  return body.data
}
