"""GS1 check digits (modulo 10) for GTIN-8/12/13/14, SSCC and GLN (domain reference §1.1)."""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


def gs1_check_digit(payload: str) -> int:
    """Check digit for the digits without it: weights 3,1,3,… from the rightmost digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def gtin_problem(code: str) -> tuple[str, dict] | None:
    """``None`` for a valid GTIN, else ``(error code, params)``."""
    if not code.isdigit() or len(code) not in GTIN_LENGTHS:
        return "INVALID_BARCODE", {"detail": "GTIN = 8, 12, 13 or 14 digits"}
    expected = gs1_check_digit(code[:-1])
    if int(code[-1]) != expected:
        return "BAD_CHECK_DIGIT", {"expected": expected}
    return None


def looks_like_gtin(code: str) -> bool:
    return code.isdigit() and len(code) in GTIN_LENGTHS
