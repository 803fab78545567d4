"""期初建账 in the API: the go-live date and opening entries (rules in ``server.opening``)."""
