// One urql client for the whole console: HTTP POST /graphql with the session cookie and the CSRF
// header, subscriptions over graphql-transport-ws on the same origin (the cookie signs the socket
// in; the CSRF token goes in connection_init). The server decides everything; the console only asks.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/vue'
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws'
import { csrfToken } from './csrf'
import { currentLocale } from '@/i18n'

let ws: WsClient | null = null

function wsClient(): WsClient {
  if (ws === null) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    ws = createWsClient({
      url: `${proto}//${location.host}/graphql`,
      lazy: true,
      lazyCloseTimeout: 2000,
      retryAttempts: Infinity,
      // reconnect after network trouble, not after the server refused the session (4403)
      shouldRetry: (e) => !(e instanceof CloseEvent && e.code === 4403),
      connectionParams: () => ({ csrfToken: csrfToken() }),
    })
  }
  return ws
}

/** After sign-in or sign-out: the socket must authenticate again. */
export function resetSocket(): void {
  ws?.dispose()
  ws = null
}

/** Called when the server refuses the session (ended, expired, CSRF token gone): back to sign-in. */
let onSignedOut: () => void = () => {}
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback
}

/** What every request to /graphql carries: the session cookie, the CSRF header, the language
 * (the urql client's and the multipart upload's — src/imports/importOperations.ts). */
export function fetchOptions(): RequestInit & { headers: Record<string, string> } {
  const headers: Record<string, string> = { 'accept-language': currentLocale() }
  const csrf = csrfToken()
  if (csrf) headers['x-csrf-token'] = csrf
  return { credentials: 'same-origin', headers }
}

/** The ids of the last requests (the server's x-request-id): attached to feedback, so a report names
 * the requests that went wrong. */
const lastRequestIds: string[] = []
export function recentRequestIds(): string[] {
  return [...lastRequestIds]
}
function remember(response: Response): Response {
  const id = response.headers.get('x-request-id')
  if (id) {
    lastRequestIds.unshift(id)
    lastRequestIds.length = Math.min(lastRequestIds.length, 10)
  }
  return response
}
export const recordingFetch: typeof fetch = (input, init) => fetch(input, init).then(remember)

/** Errors of a GraphQL response: back to sign-in when the server refused the session. */
export function checkSession(errors: readonly { extensions?: Record<string, unknown> | null }[]): void {
  if (errors.some((e) => e.extensions?.code === 'CSRF_REFUSED')) onSignedOut()
}

export const client = new Client({
  url: '/graphql',
  preferGetMethod: false,
  requestPolicy: 'cache-and-network',
  fetchOptions,
  fetch: recordingFetch,
  exchanges: [
    mapExchange({
      onError(error) {
        checkSession(error.graphQLErrors)
      },
    }),
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || '' }
        return {
          subscribe(sink) {
            const unsubscribe = wsClient().subscribe(input, sink)
            return { unsubscribe }
          },
        }
      },
    }),
  ],
})
