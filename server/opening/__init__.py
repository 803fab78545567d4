"""Opening balances (期初建账): the go-live date and the opening entry booked before it."""
