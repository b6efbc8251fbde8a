"""trigger-bridge: one declarative trigger file, turned into Argo Workflows runs.

The package has two halves that read the same config model: the daemon (sources → journal →
evaluate → submitter) and the generator (Argo Events manifests). This module only carries the
version; import the pieces from their own modules.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
