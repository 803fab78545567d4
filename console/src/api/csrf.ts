// The session's CSRF token: the server sets the readable cookie `jxc_csrf` beside the HttpOnly
// session cookie; every request that can change something sends it back (server/web/guard.py).
export function csrfToken(): string | null {
  const m = document.cookie.match(/(?:^|;\s*)jxc_csrf=([^;]*)/)
  return m ? decodeURIComponent(m[1]) : null
}
