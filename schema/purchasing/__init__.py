"""The purchasing API package: prices, orders and approval, receipts, returns, bills, payments."""
