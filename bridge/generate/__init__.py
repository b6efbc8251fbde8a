"""Argo Events manifests from the trigger file: one EventSource and one Sensor per trigger.

`generate(loaded)` turns a checked trigger file into file texts (``<trigger>.eventsource.yaml``,
``<trigger>.sensor.yaml``) and the warnings for what Argo Events cannot express. It is pure: no
I/O, no clock, the same input always gives the same bytes. The modules, one step each:
`names` (names of objects, events and files), `parameters` (how each workflow parameter is
filled), `eventsource` and `sensor` (the objects), `delivery` (retry and rate limit from the
``submit`` settings), `limitations` (the warnings), `render` (YAML with a header line) and
`output` (bringing a folder in line, for the CLI). Nothing here imports the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.config.load import LoadedConfig
from bridge.generate.eventsource import build_eventsource
from bridge.generate.limitations import (
    GenerateWarning,
    settings_limitations,
    trigger_limitations,
)
from bridge.generate.names import eventsource_file, sensor_file
from bridge.generate.render import render
from bridge.generate.sensor import build_sensor

__all__ = ["GenerateResult", "GenerateWarning", "generate"]


@dataclass(frozen=True)
class GenerateResult:
    """What `generate` produced.

    Attributes:
        files: file name → text, in the triggers' order (EventSource, then Sensor).
        warnings: what the objects cannot do as the bridge does, once per trigger and feature.
    """

    files: dict[str, str]
    warnings: list[GenerateWarning]


def generate(loaded: LoadedConfig, source: str | None = None) -> GenerateResult:
    """Generate the Argo Events objects for every trigger of `loaded`.

    Args:
        loaded: the checked trigger file.
        source: how the header line names the trigger file (default: its file name).
    """
    config = loaded.config
    label = source if source is not None else loaded.file.name
    files: dict[str, str] = {}
    warnings: list[GenerateWarning] = []
    for trigger in config.triggers:
        files[eventsource_file(trigger)] = render(build_eventsource(trigger, config), label)
        files[sensor_file(trigger)] = render(build_sensor(trigger, config), label)
        warnings.extend(trigger_limitations(trigger, config))
    warnings.extend(settings_limitations(config))
    return GenerateResult(files, warnings)
