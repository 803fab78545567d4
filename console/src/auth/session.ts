// Who is signed in. The session lives in an HttpOnly cookie (the page never sees the token);
// `me` tells the console the user's permissions, which only decide what the screens show — the
// server checks every request again.
import { reactive } from 'vue'
import { client, resetSocket } from '@/api/client'
import { csrfToken } from '@/api/csrf'
import { currentLocale } from '@/i18n'
import { MeQuery } from './operations'
import type { PayloadError } from '@/api/errors'

export interface Me {
  kind: string
  name: string
  roles: string[]
  permissions: string[]
}

export const session = reactive<{ me: Me | null; loaded: boolean }>({ me: null, loaded: false })

export function can(permission: string | undefined): boolean {
  if (!permission) return true
  return session.me?.permissions.includes(permission) ?? false
}

/** Load `me` (once per page, or again with force); null when not signed in. */
export async function loadMe(force = false): Promise<Me | null> {
  if (session.loaded && !force) return session.me
  const result = await client.query(MeQuery, {}, { requestPolicy: 'network-only' }).toPromise()
  session.me = result.data?.me ?? null
  session.loaded = true
  return session.me
}

export async function signIn(username: string, password: string): Promise<PayloadError[]> {
  const resp = await fetch('/auth/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'accept-language': currentLocale() },
    body: JSON.stringify({ username, password }),
  })
  const body = await resp.json().catch(() => ({ ok: false, errors: [{ code: 'NETWORK', message: resp.statusText }] }))
  if (!body.ok) return body.errors as PayloadError[]
  resetSocket()
  await loadMe(true)
  return []
}

export async function signOut(): Promise<void> {
  const csrf = csrfToken()
  await fetch('/auth/session', {
    method: 'DELETE',
    credentials: 'same-origin',
    headers: csrf ? { 'x-csrf-token': csrf } : {},
  })
  resetSocket()
  session.me = null
  // a fresh page: nothing of the previous user stays in memory or in the cache
  location.assign('/signin')
}
