"""The installed jxc version (``jxc --version``, ``/healthz``, backup manifests)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def jxc_version() -> str:
    try:
        return version("jxc")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
        return "0+unknown"
