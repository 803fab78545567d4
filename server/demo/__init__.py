"""Demo data: the demo trading company (``company``, with its ``purchasing`` and ``sales`` documents)
and the large company for the report benchmarks (``large``). Callers import from these modules."""
