// Server-side paging over a Relay connection: cursors are opaque, so the pager remembers the
// end cursor of every page it has seen and moves one page at a time.
import { computed, ref } from 'vue'

export function useCursorPager(pageSize = 20) {
  const page = ref(1)
  const afters = ref<(string | null)[]>([null]) // afters[i]: the cursor page i+1 starts after
  const after = computed(() => afters.value[page.value - 1] ?? null)

  function next(endCursor: string | null | undefined) {
    if (!endCursor) return
    afters.value[page.value] = endCursor
    page.value += 1
  }
  function prev() {
    if (page.value > 1) page.value -= 1
  }
  function reset() {
    page.value = 1
    afters.value = [null]
  }
  return { page, after, first: pageSize, pageSize, next, prev, reset }
}
