"""What the document flows share, above the master data and below stock: the document actions
(``actions``: line values and VAT, prices, product lookups, row locks, status machines, idempotent
creation, approvals), the order flow of purchase and sales orders (``orders``: create, update, header
checks, transitions) and the open items of payables and receivables (``open_items``: settling,
money and opposite documents, balances with aging)."""
