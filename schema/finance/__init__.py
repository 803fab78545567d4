"""The finance API package: books, vouchers, expenses, period end, ledgers and statements."""
