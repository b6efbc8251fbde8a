"""The same answer both ways: the daemon's parameters and the generated Sensor's, per event.

For each trigger kind a table of sample events (webhook requests, MinIO listen records, calendar
ticks) goes two ways:

- the daemon: the event data the bridge builds (`webhook_data`, `minio_data`, `calendar_data`)
  → `bridge.evaluate.evaluate(trigger, event)` → the workflow's parameters, or a failure;
- Argo Events: the event data Argo's EventSource builds for the same input (see the `argo_*`
  builders) → the generated Sensor applied as `pkg/sensors/triggers/params.go` does
  (`apply_sensor`) → the submitted Workflow's parameters, or a failure.

Stand-in for gjson: a Sensor's ``dataKey`` is read with `DataPath.parse(key).get(data)` and
rendered with `to_text`. `bridge.paths` implements exactly the gjson path syntax a trigger file
may use (components, ``\\.`` escapes, list indexes, ``#``; everything else is refused when the
file loads) and `to_text` renders as gjson's ``Result.String()`` (tests/test_paths.py pins that
on gjson's documented cases). Using the daemon's own path code on *Argo's* event data is what
makes a difference in the data shapes show up here. One rule of params.go is modelled on top:
a JSON null selects the text ``null`` (it returns ``Result.Raw`` for nulls), not gjson's "".

Each case is expected ``equal``, or names a KNOWN difference; a known difference must still
differ, so this table cannot silently go stale.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.config.load import load_config
from bridge.config.model import BridgeConfig, Trigger
from bridge.evaluate import MINIO_SOURCE, SCHEDULE_SOURCE, Submission, evaluate
from bridge.events import Event, calendar_data, canonical_header, minio_data, webhook_data
from bridge.generate.names import event_names
from bridge.generate.sensor import build_sensor
from bridge.paths import MISSING, DataPath, to_text
from bridge.sources.minio_records import records_from_listen

KNOWN = {
    "eventTime format": "Argo's calendar writes Go's time.String() of the firing moment, the "
    "bridge the scheduled tick in RFC 3339 UTC (generate warns: eventTime)",
    "json null": "params.go returns Result.Raw for a JSON null, so the workflow gets 'null'; "
    "the bridge renders null as '' (as gjson's String() does)",
    "minio size 0": "minio-go drops `size` when it is 0 (json omitempty) before the Sensor sees "
    "the record; the bridge keeps the record as MinIO sent it",
    "go map order": "Go writes a map's keys sorted (minio-go's userMetadata, requestParameters); "
    "the bridge keeps MinIO's order, so a whole map renders differently",
    "html escaping": "Go's json.Marshal writes <, > and & in strings as \\u003c, \\u003e, \\u0026, "
    "and a Sensor passes a selected object or list on as that raw JSON; the bridge writes them "
    "as they are (a selected string is the same both ways)",
    "authorization header": "the bridge drops Authorization after checking it; Argo's webhook "
    "passes it on masked ('*** Masked Auth Secret ***')",
}

CONFIG = """
argo: {namespace: argo}
minio: {endpoint: "minio:9000", accessKey: ak, secretKey: sk, secure: false}
triggers:
  - name: hook
    on: {webhook: {path: /hooks/h, auth: {bearer: token}, dedupKey: header.X-Request-Id}}
    workflowTemplate: t
    parameters:
      - {name: email, from: body.employee.email}
      - {name: team, from: body.employee.team, default: unassigned}
      - {name: request, from: header.X-Request-Id.0}
      - {name: source, value: hr-portal}
  - name: shapes
    on: {webhook: {path: /hooks/s, auth: none}}
    workflowTemplate: t
    parameters:
      - {name: value, from: body.value}
  - name: dotted
    on: {webhook: {path: /hooks/d, auth: none}}
    workflowTemplate: t
    parameters:
      - {name: value, from: 'body.a\\.b'}
      - {name: count, from: 'body.items.#'}
  - name: auth-header
    on: {webhook: {path: /hooks/a, auth: {bearer: token}}}
    workflowTemplate: t
    parameters:
      - {name: value, from: header.Authorization.0, default: none}
  - name: upload
    on: {minio: {bucket: raw}}
    workflowTemplate: t
    parameters:
      - {name: bucket, from: notification.0.s3.bucket.name}
      - {name: key, from: notification.0.s3.object.key}
      - {name: size, from: notification.0.s3.object.size}
      - {name: event, from: notification.0.eventName}
      - {name: version, from: notification.0.s3.object.versionId, default: none}
  - name: upload-meta
    on: {minio: {bucket: raw}}
    workflowTemplate: t
    parameters:
      - {name: meta, from: notification.0.s3.object.userMetadata}
  - name: tick
    on:
      schedule:
        cron: "0 2 * * *"
        timezone: Europe/Amsterdam
        userPayload: {team: data, size: {rows: 3}}
    workflowTemplate: t
    parameters:
      - {name: team, from: userPayload.team}
      - {name: rows, from: userPayload.size.rows}
      - {name: region, from: userPayload.region, default: eu}
      - {name: kind, value: nightly}
  - name: tick-time
    on: {schedule: {cron: "0 2 * * *", timezone: Europe/Amsterdam}}
    workflowTemplate: t
    parameters:
      - {name: date, from: eventTime}
  - name: ticks
    on: {schedule: {crons: ["0 2 * * *", "30 14 * * 1-5"], userPayload: {team: ops}}}
    workflowTemplate: t
    parameters:
      - {name: team, from: userPayload.team}
      - {name: kind, value: report}
  - name: ticks-time
    on: {schedule: {crons: ["0 2 * * *", "30 14 * * 1-5"]}}
    workflowTemplate: t
    parameters:
      - {name: date, from: eventTime}
"""


# -- Argo Events' side ------------------------------------------------------------------


class ArgoTriggerError(Exception):
    """params.go's "unable to resolve … parameter value": the trigger fails, nothing submitted."""


_GO_HTML_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def argo_value(src: dict[str, Any], events: dict[str, dict[str, Any]]) -> str | None:
    """ResolveParamValue for a ``dataKey`` source; None: skipped (no event, no value)."""
    data = events.get(src["dependencyName"])
    if data is None:
        return src.get("value")  # an absent dependency (OR-ed conditions) is skipped
    selected = DataPath.parse(src["dataKey"]).get(data)
    if selected is MISSING:
        if "value" in src:
            return str(src["value"])
        raise ArgoTriggerError(f"unable to resolve {src['dataKey']}")
    if selected is None:
        return "null"  # getValueByKey: Result.Raw for gjson.Null
    if isinstance(selected, dict | list):  # Result.Raw of data Go's json.Marshal wrote
        return to_text(selected).translate(_GO_HTML_ESCAPES)
    return to_text(selected)


def apply_sensor(sensor: dict[str, Any], events: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The Workflow the Sensor's (only) trigger submits for `events` (dependency → data)."""
    argo_workflow = sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]
    workflow = json.loads(json.dumps(argo_workflow["source"]["resource"]))
    for parameter in argo_workflow.get("parameters", []):
        value = argo_value(parameter["src"], events)
        if value is None:
            continue
        prefix, index, leaf = parameter["dest"].rsplit(".", 2)
        assert (prefix, leaf) == ("spec.arguments.parameters", "value"), parameter["dest"]
        workflow["spec"]["arguments"]["parameters"][int(index)]["value"] = value
    return workflow


def argo_webhook_data(headers: list[tuple[str, str]], body: Any) -> dict[str, Any]:
    """WebhookEventData: Go's canonical header map, every value, Authorization masked."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        key = canonical_header(name)
        masked = "*** Masked Auth Secret ***" if key == "Authorization" else value
        grouped.setdefault(key, []).append(masked)
    return {"header": dict(sorted(grouped.items())), "body": body}


_MINIO_GO = {  # minio-go v7.2.1 pkg/notification: field → (omitempty, nested shape)
    "eventVersion": (False, None),
    "eventSource": (False, None),
    "awsRegion": (False, None),
    "eventTime": (False, None),
    "eventName": (False, None),
    "userIdentity": (False, {"principalId": (False, None)}),
    "requestParameters": (False, "map"),
    "responseElements": (False, "map"),
    "s3": (
        False,
        {
            "s3SchemaVersion": (False, None),
            "configurationId": (False, None),
            "bucket": (
                False,
                {
                    "name": (False, None),
                    "ownerIdentity": (False, {"principalId": (False, None)}),
                    "arn": (False, None),
                },
            ),
            "object": (
                False,
                {
                    "key": (False, None),
                    "size": (True, None),
                    "eTag": (True, None),
                    "contentType": (True, None),
                    "userMetadata": (True, "map"),
                    "versionId": (True, None),
                    "sequencer": (False, None),
                },
            ),
        },
    ),
    "source": (False, {"host": (False, None), "port": (False, None), "userAgent": (False, None)}),
}


def _through_go_struct(value: Any, shape: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (omitempty, nested) in shape.items():
        item = value.get(key) if isinstance(value, dict) else None
        if isinstance(nested, dict):
            out[key] = _through_go_struct(item or {}, nested)
        elif nested == "map":
            mapping = dict(sorted((item or {}).items()))
            if mapping or not omitempty:
                out[key] = mapping or None  # a nil map is null
        elif item not in (None, "", 0) or not omitempty:
            out[key] = item if item is not None else ("" if key != "size" else 0)
    return out


def argo_minio_data(message: dict[str, Any]) -> dict[str, Any]:
    """MinioEventData: the listen message's records re-marshalled through minio-go's types."""
    return {"notification": [_through_go_struct(r, _MINIO_GO) for r in message["Records"]]}


def go_time_string(moment: datetime) -> str:
    """Go's ``time.Time.String()`` (without the monotonic reading)."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return f"{text} {moment.strftime('%z')} {moment.tzname()}"


def argo_calendar_data(fired: datetime, trigger: Trigger) -> dict[str, Any]:
    """CalendarEventData: the moment the timer fired, and the flat-map metadata."""
    assert trigger.on.schedule is not None
    data: dict[str, Any] = {"eventTime": go_time_string(fired) + " m=+3600.000312001"}
    payload = trigger.on.schedule.user_payload
    if isinstance(payload, dict) and all(isinstance(v, str) for v in payload.values()):
        data["metadata"] = payload
    return data


# -- the cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One sample event for `trigger`, as the bridge and as Argo Events see it."""

    id: str
    trigger: str
    bridge: dict[str, Any]
    argo: dict[str, Any]
    expected: str = "equal"  # or a key of KNOWN
    dependency: int = 0  # which event of a several-cron schedule fired


def webhook(
    case_id: str,
    trigger: str,
    body: Any,
    headers: list[tuple[str, str]] | None = None,
    expected: str = "equal",
) -> Case:
    sent = [("Content-Type", "application/json"), *(headers or [])]
    return Case(case_id, trigger, webhook_data(sent, body), argo_webhook_data(sent, body), expected)


RECORD = {
    "eventVersion": "2.0",
    "eventSource": "minio:s3",
    "awsRegion": "",
    "eventTime": "2026-12-04T10:00:00.000Z",
    "eventName": "s3:ObjectCreated:Put",
    "userIdentity": {"principalId": "minio"},
    "requestParameters": {"sourceIPAddress": "10.0.0.5", "region": "", "principalId": "minio"},
    "responseElements": {"x-amz-request-id": "17F", "x-minio-origin-endpoint": "http://m:9000"},
    "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "Config",
        "bucket": {
            "name": "raw",
            "ownerIdentity": {"principalId": "minio"},
            "arn": "arn:aws:s3:::raw",
        },
        "object": {
            "key": "flights/f7/IMG 0001+a.jpg",
            "size": 5242880,
            "eTag": "d41d8cd98f00b204e9800998ecf8427e",
            "contentType": "image/jpeg",
            "userMetadata": {"content-type": "image/jpeg"},
            "sequencer": "1800A",
        },
    },
    "source": {"host": "10.0.0.5", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7"},
}


def minio(case_id: str, trigger: str, expected: str = "equal", **changes: Any) -> Case:
    record = json.loads(json.dumps(RECORD))
    record["s3"]["object"].update(changes)
    message = {"Records": [record]}  # one listen-stream message: one record, keys as stored
    bridge = minio_data(records_from_listen(message)[0])
    return Case(case_id, trigger, bridge, argo_minio_data(message), expected)


TICK = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 02:00 in Europe/Amsterdam


def tick(case_id: str, trigger: str, expected: str = "equal", dependency: int = 0) -> Case:
    # Argo's timer fires a little after the scheduled moment, in the pod's zone (UTC)
    fired = TICK + timedelta(microseconds=312)
    return Case(case_id, trigger, {"tick": TICK}, {"fired": fired}, expected, dependency=dependency)


CASES = [
    webhook(
        "onboarding example",
        "hook",
        {"employee": {"email": "ada@example.org", "name": "Ada", "team": "hr"}},
        [("X-Request-Id", "req-1")],
    ),
    webhook("default when absent", "hook", {"employee": {"email": "a@b"}}, [("x-request-id", "r")]),
    webhook("missing path fails both", "hook", {"employee": {}}, [("X-Request-Id", "r")]),
    webhook("number", "shapes", {"value": 3}),
    webhook("float", "shapes", {"value": 1.50}),
    webhook("big integer", "shapes", {"value": 10000000000000000001}),
    webhook("boolean", "shapes", {"value": True}),
    webhook("object", "shapes", {"value": {"b": [1, "x"], "a": "é"}}),
    webhook("list", "shapes", {"value": ["a", "b"]}),
    webhook("unicode", "shapes", {"value": "Zoë 🚁"}),
    webhook("html in a string", "shapes", {"value": "<b>R&D</b>"}),
    webhook("html in an object", "shapes", {"value": {"v": "<b>"}}, expected="html escaping"),
    webhook("null", "shapes", {"value": None}, expected="json null"),
    webhook("escaped dot and list length", "dotted", {"a.b": "x", "items": [1, 2, 3]}),
    webhook(
        "authorization",
        "auth-header",
        {},
        [("Authorization", "Bearer token")],
        expected="authorization header",
    ),
    minio("upload", "upload"),
    minio("versioned upload", "upload", versionId="3f2a-01"),
    minio("empty object", "upload", expected="minio size 0", size=0),
    minio(
        "user metadata map",
        "upload-meta",
        expected="go map order",
        userMetadata={"content-type": "image/jpeg", "X-Amz-Meta-Flight": "f7"},
    ),
    minio("user metadata, one key", "upload-meta"),
    tick("payload paths and fixed values", "tick"),
    tick("eventTime", "tick-time", expected="eventTime format"),
    tick("first of several crons", "ticks", dependency=0),
    tick("second of several crons", "ticks", dependency=1),
    tick("eventTime of the second cron", "ticks-time", "eventTime format", dependency=1),
]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> BridgeConfig:
    file: Path = tmp_path_factory.mktemp("parity") / "parity.yaml"
    file.write_text(textwrap.dedent(CONFIG))
    return load_config(file, environ={}).config


def bridge_outcome(trigger: Trigger, case: Case) -> tuple[tuple[str, str], ...] | str:
    kind = trigger.on.kind
    if kind == "schedule":
        assert trigger.on.schedule is not None
        data = calendar_data(case.bridge["tick"], trigger.on.schedule.user_payload)
        event = Event("e1", SCHEDULE_SOURCE, trigger.name, TICK, data)
    else:
        source = MINIO_SOURCE if kind == "minio" else "webhook"
        event = Event("e1", source, trigger.name, TICK, case.bridge)
    decision = evaluate(trigger, event)
    return decision.parameters if isinstance(decision, Submission) else "fails"


def argo_outcome(
    trigger: Trigger, config: BridgeConfig, case: Case
) -> tuple[tuple[str, str], ...] | str:
    sensor = build_sensor(trigger, config)
    dependency = event_names(trigger)[case.dependency]
    data = (
        argo_calendar_data(case.argo["fired"], trigger)
        if trigger.on.kind == "schedule"
        else case.argo
    )
    try:
        workflow = apply_sensor(sensor, {dependency: data})
    except ArgoTriggerError:
        return "fails"
    parameters = workflow["spec"].get("arguments", {}).get("parameters", [])
    return tuple((p["name"], p["value"]) for p in parameters)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_daemon_and_generated_sensor_agree(config: BridgeConfig, case: Case) -> None:
    trigger = config.trigger(case.trigger)
    assert trigger is not None
    ours, argos = bridge_outcome(trigger, case), argo_outcome(trigger, config, case)
    if case.expected == "equal":
        assert ours == argos
    else:
        assert case.expected in KNOWN
        assert ours != argos, f"known difference {case.expected!r} no longer differs: update KNOWN"


def test_every_kind_and_known_difference_is_covered(config: BridgeConfig) -> None:
    triggers = [config.trigger(c.trigger) for c in CASES]
    kinds = {t.on.kind for t in triggers if t is not None}
    assert kinds == {"webhook", "minio", "schedule"}
    assert {c.expected for c in CASES} - {"equal"} == set(KNOWN)


def test_the_calendar_difference_is_only_the_format(config: BridgeConfig) -> None:
    """Same instant, other text: the difference the generator warns about, nothing more."""
    trigger = config.trigger("tick-time")
    assert trigger is not None
    ((name, ours),) = bridge_outcome(trigger, tick("t", "tick-time"))
    ((_, theirs),) = argo_outcome(trigger, config, tick("t", "tick-time"))
    assert (name, ours) == ("date", "2026-12-04T01:00:00Z")
    assert theirs == "2026-12-04 01:00:00.000312 +0000 UTC m=+3600.000312001"
    moment = datetime.strptime(theirs.split(" m=")[0], "%Y-%m-%d %H:%M:%S.%f %z %Z")
    assert abs(moment - datetime.fromisoformat(ours)) < timedelta(seconds=1)


def test_a_caught_up_tick_is_written_in_the_schedule_zone() -> None:
    """Argo's catch-up sends the scheduled time in the zone: another text for the same tick."""
    scheduled = TICK.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert go_time_string(scheduled) == "2026-12-04 02:00:00 +0100 CET"


def test_the_stand_in_follows_params_go(config: BridgeConfig) -> None:
    """Absent dependency: skipped, or its `value`; absent key: `value`, else the trigger fails."""
    src = {"dependencyName": "d", "dataKey": "body.x"}
    assert argo_value(src, {}) is None
    assert argo_value({**src, "value": "v"}, {}) == "v"
    assert argo_value({**src, "value": "v"}, {"d": {"body": {}}}) == "v"
    with pytest.raises(ArgoTriggerError):
        argo_value(src, {"d": {"body": {}}})
    assert argo_value(src, {"d": {"body": {"x": None}}}) == "null"
    assert argo_value(src, {"d": {"body": {"x": {"a": 1}}}}) == '{"a":1}'
