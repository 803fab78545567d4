"""``jxc-scan``: the handheld scanning client (keyboard-wedge or serial scanners, offline-safe)."""
