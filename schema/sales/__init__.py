"""The sales API package: orders and approval, shipments, invoices, receipts, returns, receivables."""
