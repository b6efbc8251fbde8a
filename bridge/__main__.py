"""``python -m bridge``: the same as the ``trigger-bridge`` command."""

from __future__ import annotations

import sys

from bridge.cli import main

sys.exit(main())
