"""The kernel every layer stands on: database and transactions, column types and SQL helpers, exact
numbers, the clock, settings, the error machinery, idempotency keys, the audit log, text limits,
global ids, document numbering, stored business settings and the master-record actions.

Nothing here knows a business domain: ``server.core`` imports nothing else from ``server`` (an
import contract in pyproject.toml checks it, docs/architecture.md draws the layers)."""
