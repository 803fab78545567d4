"""Inventory costing. Moving weighted average per product; the total value in fen is the master figure.

* A receipt adds its value (rounded half-up to the fen once, on the line total) and quantity.
* An issue takes ``value × qty ÷ on-hand`` rounded half-up to the fen; an issue that empties the
  stock takes the whole remaining value, so quantity zero always means value zero.
* Transfers do not change the product's value; they carry the average value for information.

A method is a class with ``value_out`` and ``value_in``; ``product_cost.method`` selects it, so FIFO
can be added as a second class that keeps cost layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.core.numbers import round_half_up_div


@dataclass
class CostState:
    qty: int
    value_fen: int


class MovingAverage:
    name = "moving_average"

    def value_out(self, state: CostState, qty: int) -> int:
        """Value of ``qty`` leaving stock; mutates ``state``."""
        if qty >= state.qty:
            value = state.value_fen
        else:
            value = round_half_up_div(state.value_fen * qty, state.qty)
        state.qty -= qty
        state.value_fen -= value
        return value

    def value_out_at(self, state: CostState, qty: int, value_fen: int) -> int:
        """``qty`` leaves at a given value (a purchase return at its receipt cost, Policy A of the
        domain reference §2.3), which recomputes the average of what stays. The value is capped by
        what is on hand, and an issue that empties the stock still takes all of it. Mutates ``state``."""
        if qty >= state.qty:
            value = state.value_fen
        else:
            value = max(0, min(value_fen, state.value_fen))
        state.qty -= qty
        state.value_fen -= value
        return value

    def value_in(self, state: CostState, qty: int, value_fen: int | None, fallback_fen: int = 0) -> int:
        """Add ``qty`` at ``value_fen``; ``None`` means at the current average, or ``fallback_fen`` when
        there is no stock (and so no average) at that moment. Mutates ``state``."""
        if value_fen is None:
            average = self.value_at_average(state, qty)
            value_fen = fallback_fen if average is None else average
        state.qty += qty
        state.value_fen += value_fen
        return value_fen

    def value_at_average(self, state: CostState, qty: int) -> int | None:
        if state.qty == 0:
            return None
        return round_half_up_div(state.value_fen * qty, state.qty)


COSTING_METHODS = {MovingAverage.name: MovingAverage()}
