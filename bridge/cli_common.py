"""What every command module shares: exit statuses and the shape of a command handler.

Exit status: 0 success; 1 the command ran but its subject failed; 2 the configuration or the
command line is wrong. A command module adds its commands through the CLI's
``register(name, help, handler)`` and gets back the subcommand's parser for its own options.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final

from bridge.config.load import LoadedConfig

__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "Handler", "Register"]

EXIT_FAILED: Final = 1
EXIT_CONFIG: Final = 2

Handler = Callable[[LoadedConfig, argparse.Namespace], int]
Register = Callable[[str, str, Handler], argparse.ArgumentParser]
