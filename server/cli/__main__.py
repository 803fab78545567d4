"""``python -m server.cli …``: the ``jxc`` command (the tests start servers this way)."""

import sys

from server.cli import main

if __name__ == "__main__":  # pragma: no cover  (a spawned worker re-imports this module as __mp_main__)
    sys.exit(main())
