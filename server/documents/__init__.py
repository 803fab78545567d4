"""What the document flows share, above the master data and below stock: the document actions
(``actions``: line values and VAT, prices, product lookups, row locks, status machines, idempotent
creation, approvals) and the open items of payables and receivables (``open_items``)."""
