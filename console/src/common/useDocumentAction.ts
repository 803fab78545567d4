// Run one document action (submit, approve, reject, unapprove …): collect the payload's typed errors
// and any GraphQL or network error, show them in the user's language, and say whether it went through.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import type { OperationResult } from '@urql/vue'
import type { PayloadError } from '@/api/errors'

export function useDocumentAction(onErrors: (errors: PayloadError[]) => void) {
  const busy = ref(false)
  async function run(execute: () => Promise<OperationResult>, success: string): Promise<boolean> {
    busy.value = true
    try {
      const r = await execute()
      const payload = r.data ? (Object.values(r.data)[0] as { errors?: PayloadError[] } | undefined) : undefined
      const errs: PayloadError[] = [...(payload?.errors ?? [])]
      if (r.error) errs.push(...r.error.graphQLErrors.map((g) => ({ field: null, code: String(g.extensions?.code ?? 'ERROR'), message: g.message })))
      if (r.error?.networkError) errs.push({ field: null, code: 'NETWORK', message: r.error.networkError.message })
      onErrors(errs)
      if (errs.length) {
        ElMessage.error(errs.map((e) => e.message).join('；'))
        return false
      }
      ElMessage.success(success)
      return true
    } finally {
      busy.value = false
    }
  }
  return { busy, run }
}
