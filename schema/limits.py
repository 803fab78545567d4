"""Guard rails of every request: query depth, aliases and tokens (the cost limit is ``schema/cost.py``)."""

from __future__ import annotations

from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule

MAX_DEPTH = 16  # connections nest edges { node }; the cost limit (schema/cost.py) bounds the work
MAX_ALIASES = 30
MAX_TOKENS = 4000
# Rules are created once: the validation cache is keyed by the rule classes, so limiters built per
# request (QueryDepthLimiter, MaxAliasesLimiter) would make every request miss it.
GUARD_RULES = [depth_limit_rule(MAX_DEPTH, None), alias_limit_rule(MAX_ALIASES)]
