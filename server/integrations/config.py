"""The delivery settings, from the environment (``JXC_WEBHOOK_*``; docs/integrations.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryConfig:
    timeout: float = 5.0  # seconds for one HTTP request (connect + answer)
    backoff: float = 5.0  # first retry after about this many seconds, doubling per failed attempt
    backoff_max: float = 3600.0  # no retry waits longer than this
    failing_for: float = 72 * 3600.0  # an endpoint failing this long is disabled and its owner alerted
    lease: float = 60.0  # a sender's claim on an endpoint's cursor; renewed every batch
    poll: float = 0.5  # how often a sender looks for new events
    batch: int = 100  # events read and delivered per endpoint before the cursor is written
    log_days: int = 30  # the delivery log keeps this many days


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, not {value}")
    return value


def load_config(env: Mapping[str, str] | None = None) -> DeliveryConfig:
    env = os.environ if env is None else env
    return DeliveryConfig(
        timeout=_float(env, "JXC_WEBHOOK_TIMEOUT", 5.0, 0.05, 60),
        backoff=_float(env, "JXC_WEBHOOK_BACKOFF", 5.0, 0.001, 3600),
        backoff_max=_float(env, "JXC_WEBHOOK_BACKOFF_MAX", 3600.0, 0.001, 86400),
        failing_for=_float(env, "JXC_WEBHOOK_FAILING_HOURS", 72.0, 0.0001, 24 * 30) * 3600,
        lease=_float(env, "JXC_WEBHOOK_LEASE", 60.0, 0.2, 3600),
        poll=_float(env, "JXC_WEBHOOK_POLL", 0.5, 0.005, 60),
        batch=int(_float(env, "JXC_WEBHOOK_BATCH", 100, 1, 1000)),
        log_days=int(_float(env, "JXC_WEBHOOK_LOG_DAYS", 30, 1, 3650)),
    )
