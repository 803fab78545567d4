// Typed payload errors ({field, code, message}) come back in the user's language (Accept-Language);
// the console shows each next to the form field it names, the rest above the form.
import { computed, ref, type Ref } from 'vue'
import type { CombinedError } from '@urql/vue'

export interface PayloadError {
  field?: string | null
  code: string
  message: string
}

export function useFieldErrors() {
  const errors: Ref<PayloadError[]> = ref([])
  const byField = computed(() => {
    const map: Record<string, string> = {}
    for (const e of errors.value) if (e.field) map[e.field] = map[e.field] ? `${map[e.field]}；${e.message}` : e.message
    return map
  })
  /** The message for a field (e.g. "supplierId", "lines.0.quantity"), or undefined. */
  const of = (field: string): string | undefined => byField.value[field]
  /** Errors that name no field shown on the form (shown above it). */
  const general = (shown: (field: string) => boolean) =>
    computed(() => errors.value.filter((e) => !e.field || !shown(e.field)))
  function set(list: readonly PayloadError[] | null | undefined, graphqlError?: CombinedError) {
    const out = [...(list ?? [])]
    if (graphqlError) {
      for (const ge of graphqlError.graphQLErrors)
        out.push({ field: null, code: String(ge.extensions?.code ?? 'ERROR'), message: ge.message })
      if (graphqlError.networkError) out.push({ field: null, code: 'NETWORK', message: graphqlError.networkError.message })
    }
    errors.value = out
    return out.length === 0
  }
  return { errors, of, general, set, clear: () => (errors.value = []) }
}

/** A GraphQL error (e.g. PERMISSION_DENIED) as a line of text. */
export function errorText(e: CombinedError | undefined | null): string {
  if (!e) return ''
  return e.graphQLErrors.map((g) => g.message).join('；') || e.networkError?.message || e.message
}
