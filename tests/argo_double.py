"""The one test double in the project: a faithful Argo Server over real HTTP.

It follows /work/shared/reference/argo-workflows.md §8. A stdlib ``ThreadingHTTPServer`` runs on
127.0.0.1 in a daemon thread and speaks Argo v4.1.2's REST API: grpc-gateway error bodies
``{"code","message"}`` with the §1b status table, bearer-token auth, submit-from-template validated
in Argo's own order (§1a), ``status.startedAt/finishedAt`` and ``items`` sent as JSON null,
label-selector lists, and WorkflowTemplate CRUD with resourceVersion conflicts. It also injects
faults: error replies, slowness, dropped connections, outages through ``stop``/``restart``, and
informer lag. Argo's rules are the small pure functions below, and ``ArgoDouble`` holds the state
and the HTTP plumbing. Tests drive it through real clients (requests, httpx, Hera), never mocks.
"""

from __future__ import annotations

import copy
import hmac
import json
import re
import secrets
import socket
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

JSON = dict[str, Any]
Resolver = Callable[[str, bool], JSON]
VERSION = "v4.1.2"
GRPC_TO_HTTP = {1: 408, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
                9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401}
HTTP_TO_GRPC = {408: 1, 504: 4, 404: 5, 409: 6, 403: 7, 401: 16, 429: 8, 400: 3, 501: 12,
                500: 13, 503: 14}
TOKEN_INVALID = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"
TEMPLATE_LABEL = "workflows.argoproj.io/workflow-template"
CLUSTER_TEMPLATE_LABEL = "workflows.argoproj.io/cluster-workflow-template"
KIND_SCOPES = {  # §1a step 2: Kind, singular, plural and short name
    **dict.fromkeys(("WorkflowTemplate", "workflowtemplate", "workflowtemplates", "wftmpl"), "ns"),
    **dict.fromkeys(("ClusterWorkflowTemplate", "clusterworkflowtemplate",
                     "clusterworkflowtemplates", "cwftmpl"), "cluster"),
    **dict.fromkeys(("CronWorkflow", "cronworkflow", "cronworkflows", "cronwf"), "cron"),
}
SUBMIT_OPT_TYPES: dict[str, tuple[type, str]] = {
    "name": (str, "string"), "generateName": (str, "string"), "entryPoint": (str, "string"),
    "serviceAccount": (str, "string"), "labels": (str, "string"), "annotations": (str, "string"),
    "podPriorityClassName": (str, "string"), "parameters": (list, "[]string"),
    "dryRun": (bool, "bool"), "serverDryRun": (bool, "bool"), "priority": (int, "int32"),
}
PARAM_NAME = re.compile(r"[-a-zA-Z0-9_]+")
DNS1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s utilrand, used for generateName suffixes
DNS_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
           "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
           "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
           "[a-z0-9])?)*')")
LABEL_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', "
             "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
             "or 'my_value',  or '12345', regex used for validation is "
             "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
KEY_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
           "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
           "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


class ApiError(Exception):
    """A gRPC status as grpc-gateway sends it: body ``{code, message}``, HTTP status from §1b."""

    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or GRPC_TO_HTTP[code]


def grpc_code_for(status: int) -> int:
    """Argo's ToStatusError direction, HTTP status -> gRPC code (§1b)."""
    return HTTP_TO_GRPC.get(status, 3 if 400 <= status < 500 else 13)


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_type(value: object) -> str:
    return {bool: "bool", str: "string", list: "array", dict: "object"}.get(type(value), "number")


def normalize_parameter(param: JSON) -> JSON:
    """Parameter values are Argo ``AnyString``: JSON numbers and bools are stored as strings."""
    def text(v: object) -> object:
        return ("true" if v else "false") if isinstance(v, bool) else (
            str(v) if isinstance(v, int | float) else v)
    out: JSON = {k: text(v) if k in ("value", "default") else v for k, v in param.items()}
    if isinstance(out.get("enum"), list):
        out["enum"] = [text(v) for v in out["enum"]]
    return out


def parse_kv_list(spec: str) -> dict[str, str]:
    """util/cmd ParseLabels: split on ',' then '='; anything but exactly one '=' is an error."""
    result: dict[str, str] = {}
    for item in spec.split(","):
        parts = item.split("=")
        if len(parts) != 2:
            raise ValueError(f"unexpected label spec: {item}")
        if not parts[0]:
            raise ValueError("unexpected empty label key")
        result[parts[0]] = parts[1]
    return result


def check_submit_types(body: JSON) -> None:
    """Go's encoding/json rejects wrong types with 400 code 3 (e.g. labels sent as a map)."""
    def bad(where: str, value: object, go_type: str) -> ApiError:
        return ApiError(3, f"json: cannot unmarshal {json_type(value)} into Go struct field "
                           f"{where} of type {go_type}")
    for key in ("resourceKind", "resourceName"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise bad(f"WorkflowSubmitRequest.{key}", body[key], "string")
    opts = body.get("submitOptions")
    if opts is not None and not isinstance(opts, dict):
        raise bad("WorkflowSubmitRequest.submitOptions", opts, "v1alpha1.SubmitOpts")
    for key, (kind, go_type) in SUBMIT_OPT_TYPES.items():
        value = (opts or {}).get(key)
        items = value if key == "parameters" and isinstance(value, list) else []
        if (value is not None and not isinstance(value, kind)) or any(
                not isinstance(i, str) for i in items):
            raise bad(f"SubmitOpts.submitOptions.{key}", value, go_type)


def apply_submit_opts(wf: JSON, opts: JSON) -> None:
    """workflow/util ApplySubmitOpts; its plain errors become 500 code 13 (§1a step 4)."""
    meta, spec = wf["metadata"], wf["spec"]
    for opt, key in (("entryPoint", "entrypoint"), ("serviceAccount", "serviceAccountName"),
                     ("podPriorityClassName", "podPriorityClassName"), ("priority", "priority")):
        if opts.get(opt) not in (None, ""):
            spec[key] = opts[opt]
    labels = opts.get("labels") or ""
    for key, what in (("labels", "labels"), ("annotations", "Annotations")):
        if opts.get(key):
            try:
                meta.setdefault(key, {}).update(parse_kv_list(opts[key]))
            except ValueError as err:  # Argo quotes opts.Labels even for annotations
                raise ApiError(13, f"expected {what} of the form: NAME1=VALUE2,NAME2=VALUE2. "
                                   f"Received: {labels}: {err}") from err
    submitted = []
    for item in opts.get("parameters") or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ApiError(13, f"expected parameter of the form: NAME=VALUE. Received: {item}")
        submitted.append({"name": name, "value": value})
    if submitted:
        spec["arguments"] = {"parameters": submitted}
    for key in ("generateName", "name"):
        if opts.get(key):
            meta[key] = opts[key]


def merge_parameters(*lists: list[JSON]) -> list[JSON]:
    """util.MergeParameters: the first occurrence of each name wins, as a whole struct (§7)."""
    seen: set[object] = set()
    out = []
    for params in lists:
        for p in params:
            if p.get("name") not in seen:
                seen.add(p.get("name"))
                out.append(p)
    return out


def validate_arguments(params: list[JSON], allow_empty: bool) -> None:
    """validate.go validateArgumentsFieldNames + validateArgumentsValues (§7)."""
    pre, seen = "spec.arguments.", set()
    for i, p in enumerate(params):
        name, where = p.get("name") or "", f"{pre}parameters[{i}].name"
        if not name:
            raise ApiError(3, f"{where} is required")
        if not PARAM_NAME.fullmatch(name):
            raise ApiError(3, f"{where}: '{name}' is invalid: Parameter/Artifact name must consist "
                              "of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1")
        if name in seen:
            raise ApiError(3, f"{where} '{name}' is not unique")
        seen.add(name)
    for p in params:
        n, value, vf, enum = p["name"], p.get("value"), p.get("valueFrom"), p.get("enum")
        if value is None and vf is None and not allow_empty:
            raise ApiError(3, f"{pre}{n}.value or {pre}{n}.valueFrom is required")
        if isinstance(vf, dict) and (
                not (vf.get("configMapKeyRef") or vf.get("event") or vf.get("supplied") is not None)
                or any(vf.get(k) for k in ("path", "jsonPath", "parameter", "expression"))):
            raise ApiError(3, f"{pre}{n}.valueFrom only allows: default, configMapKeyRef and "
                              "supplied")
        if enum is not None:
            if not enum:
                raise ApiError(3, f"{pre}{n}.enum should contain at least one value")
            if value is None:
                if allow_empty:
                    return  # validate.go stops checking here
                raise ApiError(3, f"{pre}{n}.value is required")
            if value not in enum:
                raise ApiError(3, f"{pre}{n}.value should be present in {pre}{n}.enum list")


def validate_workflow(wf: JSON, resolve: Resolver, allow_empty: bool = False,
                      ignore_entrypoint: bool = False) -> None:
    """validate.Workflow (§1a step 5); ``resolve`` raises the informer's 404."""
    meta, spec = wf.get("metadata") or {}, wf.get("spec") or {}
    name = meta.get("name") or ""
    if len(name) > 63:
        raise ApiError(3, f'workflow name "{name}" must not be more than 63 characters long '
                          f"(currently {len(name)})")
    params = (spec.get("arguments") or {}).get("parameters") or []
    entrypoint, templates = spec.get("entrypoint"), spec.get("templates")
    ref = spec.get("workflowTemplateRef")
    if ref:
        tspec = resolve(ref.get("name") or "", bool(ref.get("clusterScope"))).get("spec") or {}
        entrypoint, templates = entrypoint or tspec.get("entrypoint"), tspec.get("templates")
        params = merge_parameters(params, (tspec.get("arguments") or {}).get("parameters") or [])
    validate_arguments(params, allow_empty)
    if not entrypoint:
        if ignore_entrypoint:
            return
        raise ApiError(3, "spec.entrypoint is required")
    if entrypoint not in {t.get("name") for t in templates or []}:
        raise ApiError(3, f"template reference {ref['name']}.{entrypoint} not found" if ref
                       else f"template name '{entrypoint}' undefined")


def validate_template(tmpl: JSON, cluster: bool, resolve: Resolver) -> None:
    """validate.(Cluster)WorkflowTemplate: parameters may lack values (§7)."""
    name = (tmpl.get("metadata") or {}).get("name") or ""
    if len(name) > 63:
        what = "cluster workflow template" if cluster else "workflow template"
        raise ApiError(3, f'{what} name "{name}" must not be more than 63 characters long '
                          f"(currently {len(name)})")
    validate_workflow({"spec": tmpl.get("spec")}, resolve, allow_empty=True, ignore_entrypoint=True)


def validate_object_meta(kind: str, meta: JSON) -> None:
    """The apiserver's ObjectMeta checks; its 422 reaches the client as 400 code 3 (§4)."""
    name = meta.get("name") or ""

    def invalid(detail: str) -> ApiError:
        return ApiError(3, f'{kind}.argoproj.io "{name}" is invalid: {detail}')
    if not name:
        raise invalid("metadata.name: Required value: name or generateName is required")
    if len(name) > 253 or not DNS1123.fullmatch(name):
        raise invalid(f'metadata.name: Invalid value: "{name}": {DNS_MSG}')
    for where in ("labels", "annotations"):
        for key, value in (meta.get(where) or {}).items():
            if not isinstance(value, str):
                raise ApiError(3, f"json: cannot unmarshal {json_type(value)} into Go struct field "
                                  f"ObjectMeta.metadata.{where} of type string")
            prefix, _, base = key.rpartition("/")
            if len(base) > 63 or not QUALIFIED_NAME.fullmatch(base) or (
                    prefix and not DNS1123.fullmatch(prefix)):
                raise invalid(f'metadata.{where}: Invalid value: "{key}": {KEY_MSG}')
            if where == "labels" and len(value) > 63:
                raise invalid(f'metadata.labels: Invalid value: "{value}": '
                              "must be no more than 63 characters")
            if where == "labels" and not LABEL_VALUE.fullmatch(value):
                raise invalid(f'metadata.labels: Invalid value: "{value}": {LABEL_MSG}')


_KEY = r"([^\s!=<>(),]+)"


def parse_selector(selector: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """A k8s label selector: ``k=v k==v k!=v k !k k in (a,b) k notin (a,b) k>1 k<1``, ',' = AND."""
    reqs: list[tuple[str, str, tuple[str, ...]]] = []
    for raw in re.split(r",(?![^()]*\))", selector) if selector.strip() else []:
        part = raw.strip()
        if m := re.fullmatch(_KEY + r"\s+(in|notin)\s*\(([^()]*)\)", part):
            reqs.append((m[1], m[2], tuple(v.strip() for v in m[3].split(","))))
        elif m := re.fullmatch(r"!\s*" + _KEY, part):
            reqs.append((m[1], "!", ()))
        elif (m := re.fullmatch(_KEY + r"\s*(==|=|!=|>|<)\s*([^\s!=<>(),]*)", part)) and (
                m[2] not in "<>" or re.fullmatch(r"-?\d+", m[3])):
            reqs.append((m[1], "=" if m[2] == "==" else m[2], (m[3],)))
        elif re.fullmatch(_KEY, part):
            reqs.append((part, "exists", ()))
        else:
            raise ApiError(3, f"unable to parse requirement: found '{part}'")
    return reqs


def selector_matches(reqs: list[tuple[str, str, tuple[str, ...]]], labels: dict[str, str]) -> bool:
    def one(key: str, op: str, values: tuple[str, ...]) -> bool:
        has, value = key in labels, labels.get(key, "")
        if op in ("exists", "!"):
            return has == (op == "exists")
        if op in ("=", "in"):
            return has and value in values
        if op in ("!=", "notin"):
            return not has or value not in values
        try:
            number, bound = int(value), int(values[0])
        except ValueError:
            return False
        return has and (number > bound if op == ">" else number < bound)
    return all(one(*req) for req in reqs)


def sort_workflows(items: list[JSON]) -> list[JSON]:
    """wfv1.Workflows.Less: unfinished newest first, then by finishedAt, newest first."""
    newest_first = list(reversed(items))
    running = [w for w in newest_first if not (w.get("status") or {}).get("finishedAt")]
    done = [w for w in newest_first if (w.get("status") or {}).get("finishedAt")]
    return running + sorted(done, key=lambda w: str(w["status"]["finishedAt"]), reverse=True)


def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    ns, name = r"/(?P<ns>[^/]+)", r"/(?P<name>[^/]+)"
    table = [("GET", "/api/v1/version", "version"),
             ("POST", f"/api/v1/workflows{ns}/submit", "submit"),
             ("GET", f"/api/v1/workflows{ns}", "list_workflows"),
             ("POST", f"/api/v1/workflows{ns}", "create_workflow"),
             ("GET", f"/api/v1/workflows{ns}{name}", "get_workflow"),
             ("PUT", f"/api/v1/workflows{ns}{name}/(?P<action>stop|terminate)", "stop_workflow")]
    for base in (f"/api/v1/workflow-templates{ns}", "/api/v1/cluster-workflow-templates"):
        table += [("GET", base, "list_templates"), ("POST", base, "create_template"),
                  ("POST", f"{base}/lint", "lint_template"), ("GET", base + name, "get_template"),
                  ("PUT", base + name, "update_template"),
                  ("DELETE", base + name, "delete_template")]
    return [(method, re.compile(path), handler) for method, path, handler in table]


ROUTES = _routes()


def match_route(method: str, path: str) -> tuple[str, dict[str, str]]:
    """grpc-gateway's mux: an unknown route is 501 "Not Implemented", a wrong method 501 too."""
    known_path = False
    for route_method, pattern, handler in ROUTES:
        if m := pattern.fullmatch(path):
            if route_method == method:
                return handler, {k: unquote(v) for k, v in m.groupdict().items()}
            known_path = True
    raise ApiError(12, "Method Not Allowed" if known_path else "Not Implemented")


def decode_body(raw: bytes) -> JSON:
    if not raw.strip():
        return {}  # grpc-gateway tolerates io.EOF
    try:
        body = json.loads(raw)
    except ValueError as err:
        raise ApiError(3, f"invalid character in request body: {err}") from err
    if not isinstance(body, dict):
        raise ApiError(3, f"json: cannot unmarshal {json_type(body)} into Go value of type request")
    return body


@dataclass
class TemplateSpec:
    """A WorkflowTemplate to seed; ``manifest()`` is the object a client would POST."""

    name: str
    parameters: list[JSON] = field(default_factory=list)
    entrypoint: str | None = "main"
    namespace: str | None = None  # None: the double's namespace (ignored when cluster)
    cluster: bool = False

    def manifest(self) -> JSON:
        spec: JSON = {"arguments": {"parameters": [normalize_parameter(p) for p in self.parameters]}
                      if self.parameters else {}}
        if self.entrypoint:
            spec["entrypoint"] = self.entrypoint
        spec["templates"] = [{"name": self.entrypoint or "main",
                              "container": {"image": "alpine:3.20", "command": ["true"]}}]
        return {"metadata": {"name": self.name}, "spec": spec}


class ArgoDouble:
    """Argo Server state plus its HTTP server; every attribute is guarded by one condition."""

    def __init__(self, token: str | None = "test-token", namespace: str = "argo") -> None:
        self.token, self.namespace = token, namespace
        self.delay = 0.0
        self.informer_lag = 0.0
        # Argo's own rules, when the Go validators are built: object -> its error, or None.
        # Set by tests (tests/argo_validators.argo_rules); checked on template create/update/lint.
        self.argo_rules: Callable[[JSON], str | None] | None = None
        # Argo's Submit-mode rules for a Workflow built from a template: (workflow, the
        # namespace's templates) -> its error, or None. Checked on every submit when set.
        self.argo_submit_rules: Callable[[JSON, list[JSON]], str | None] | None = None
        self.workflows: dict[tuple[str, str], JSON] = {}
        self.templates: dict[tuple[str, str], JSON] = {}  # namespace "" = ClusterWorkflowTemplate
        self.submissions: list[JSON] = []
        self.requests: list[tuple[str, str, int]] = []
        self._cond = threading.Condition(threading.RLock())
        self._visible_at: dict[tuple[str, str], float] = {}
        self._rv = 1000
        self._failures: deque[ApiError] = deque()
        self._failing: ApiError | None = None
        self._drops = 0
        self._port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # lifecycle -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> ArgoDouble:
        """Serve in a daemon thread; after a ``stop`` this rebinds the same port."""
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self, self._port)
            self._port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                            name=f"argo-double-{self._port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """An outage: stop listening and cut every open (keep-alive) connection."""
        server, self._server = self._server, None
        if server is not None:
            self._stopping.set()
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> ArgoDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # content -------------------------------------------------------------------------------
    def add_template(self, name: str, parameters: list[JSON] | None = None,
                     entrypoint: str | None = "main", namespace: str | None = None, *,
                     cluster: bool = False) -> None:
        spec = TemplateSpec(name, list(parameters or []), entrypoint, namespace, cluster)
        ns = "" if cluster else namespace or self.namespace
        with self._cond:
            kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
            self._store_template(ns, self._new_object(kind, "", ns, spec.manifest(), {}))

    def submit_count(self) -> int:
        with self._cond:
            return len(self.submissions)

    def wait_for_submissions(self, n: int, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.submissions) >= n, timeout)

    def set_phase(self, namespace: str, name: str, phase: str) -> None:
        """Play the controller: set status.phase, and startedAt/finishedAt as the phase implies."""
        with self._cond:
            wf = self.workflows[(namespace, name)]
            status = wf.setdefault("status", {})
            status["phase"] = phase
            if phase != "Pending" and not status.get("startedAt"):
                status["startedAt"] = now_rfc3339()
            if phase in ("Succeeded", "Failed", "Error") and not status.get("finishedAt"):
                status["finishedAt"] = now_rfc3339()
            wf["metadata"]["resourceVersion"] = self._next_rv()

    # fault injection -----------------------------------------------------------------------
    def fail_next(self, n: int, status: int = 500, code: int | None = None,
                  message: str = "injected failure") -> None:
        with self._cond:
            err = ApiError(grpc_code_for(status) if code is None else code, message, status)
            self._failures.extend([err] * n)

    def fail_until_cleared(self, status: int = 500) -> None:
        with self._cond:
            self._failing = ApiError(grpc_code_for(status), "injected failure", status)

    def drop_next(self, n: int) -> None:
        with self._cond:
            self._drops += n

    def clear_faults(self) -> None:
        """Clear pending errors and drops and reset ``delay`` (``informer_lag`` is kept)."""
        with self._cond:
            self._failures.clear()
            self._failing, self._drops, self.delay = None, 0, 0.0

    def _take_fault(self) -> Literal["drop"] | ApiError | None:
        if self.delay > 0 and self._stopping.wait(self.delay):
            return "drop"  # the server went down while this request was slow
        with self._cond:
            if self._drops > 0:
                self._drops -= 1
                return "drop"
            return self._failures.popleft() if self._failures else self._failing

    # internals -----------------------------------------------------------------------------
    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _record(self, method: str, path: str, status: int) -> None:
        with self._cond:
            self.requests.append((method, path, status))

    def _resolver(self, ns: str) -> Resolver:
        """The informer cache lookup used by validation, including informer lag (§8.8)."""
        def resolve(name: str, cluster: bool) -> JSON:
            key = ("" if cluster else ns, name)
            if key not in self.templates or time.monotonic() < self._visible_at.get(key, 0.0):
                kind = "clusterworkflowtemplate" if cluster else "workflowtemplate"
                raise ApiError(5, f'{kind}.argoproj.io "{name}" not found')
            return self.templates[key]
        return resolve

    def _new_object(self, kind: str, resource: str, ns: str, obj: JSON,
                    existing: dict[tuple[str, str], JSON]) -> JSON:
        """The apiserver's create: generateName, ObjectMeta checks, AlreadyExists, server fields."""
        meta = dict(obj.get("metadata") or {})
        if ns and meta.get("namespace") not in (None, "", ns):
            raise ApiError(3, "the namespace of the provided object does not match the namespace "
                              "sent on the request")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"][:58] + "".join(
                secrets.choice(NAME_ALPHABET) for _ in range(5))
        validate_object_meta(kind, meta)
        if (ns, meta["name"]) in existing:
            raise ApiError(6, f'{resource}.argoproj.io "{meta["name"]}" already exists')
        head = {"name": meta["name"], "generateName": meta.get("generateName"), "namespace": ns,
                "uid": str(uuid.uuid4()), "resourceVersion": self._next_rv(),
                "creationTimestamp": now_rfc3339()}
        head.update({k: v for k, v in meta.items() if k not in head})
        return {**obj, "metadata": {k: v for k, v in head.items() if v not in (None, "", {})}}

    def _create_workflow(self, ns: str, wf: JSON, *, store: bool) -> JSON:
        obj = self._new_object("Workflow", "workflows", ns, wf, self.workflows)
        obj["status"] = {"startedAt": None, "finishedAt": None, **(obj.get("status") or {})}
        if store:
            self.workflows[(ns, obj["metadata"]["name"])] = obj
            self.submissions.append(copy.deepcopy(obj))
            self._cond.notify_all()
        return obj

    def _check_submit_rules(self, ns: str, wf: JSON) -> None:
        if self.argo_submit_rules is None:
            return
        meta = {k: v for k, v in wf["metadata"].items() if k in ("name", "generateName")}
        workflow = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                    "metadata": {**meta, "namespace": ns}, "spec": wf["spec"]}
        templates = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", **t,
                      "metadata": {**t["metadata"], "namespace": ns}}
                     for (t_ns, _), t in list(self.templates.items()) if t_ns == ns]
        error = self.argo_submit_rules(workflow, templates)
        if error is not None:
            raise ApiError(3, error)

    def _check_argo_rules(self, obj: JSON) -> None:
        if self.argo_rules is not None:
            error = self.argo_rules(obj)
            if error is not None:
                raise ApiError(3, error)

    def _store_template(self, ns: str, obj: JSON) -> None:
        args = (obj.get("spec") or {}).get("arguments") or {}
        if args.get("parameters"):
            args["parameters"] = [normalize_parameter(p) for p in args["parameters"]]
        key = (ns, obj["metadata"]["name"])
        if key not in self.templates:
            self._visible_at[key] = time.monotonic() + self.informer_lag
        self.templates[key] = obj

    def _workflow(self, g: dict[str, str]) -> JSON:
        wf = self.workflows.get((g["ns"], g["name"]))
        if wf is None:
            raise ApiError(5, f'workflows.argoproj.io "{g["name"]}" not found')
        return wf

    def _template(self, g: dict[str, str]) -> tuple[str, str, str]:
        """(namespace key, Kind, plural resource) for a template route; cluster has no ns."""
        ns = g.get("ns", "")
        return (ns, "WorkflowTemplate", "workflowtemplates") if ns else (
            "", "ClusterWorkflowTemplate", "clusterworkflowtemplates")

    def _call(self, method: str, path: str, query: str, raw: bytes, auth: str | None) -> bytes:
        """Route (501), decode (400) and authenticate (401), in grpc-gateway's order."""
        handler, groups = match_route(method, path)
        body = decode_body(raw) if method in ("POST", "PUT") else {}
        expected = f"Bearer {self.token}".encode()
        if self.token is not None and not hmac.compare_digest((auth or "").encode(), expected):
            raise ApiError(16, TOKEN_INVALID)
        with self._cond:
            result = getattr(self, f"_api_{handler}")(groups, body, parse_qs(query))
            return json.dumps(result, separators=(",", ":")).encode()

    # API operations (run under the lock) ---------------------------------------------------
    def _api_version(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        return {"version": VERSION}

    def _api_submit(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        check_submit_types(body)
        kind, name = body.get("resourceKind") or "", body.get("resourceName") or ""
        opts, scope = body.get("submitOptions") or {}, KIND_SCOPES.get(kind)
        if scope is None:
            raise ApiError(3, f"Resource kind '{kind}' is not supported for submitting")
        if scope == "cron":  # the double holds no CronWorkflows
            raise ApiError(5, f'cronworkflows.argoproj.io "{name}" not found')
        cluster = scope == "cluster"
        ref = {"name": name, "clusterScope": True} if cluster else {"name": name}
        wf: JSON = {"metadata": {"generateName": f"{name}-", "labels": {
                        CLUSTER_TEMPLATE_LABEL if cluster else TEMPLATE_LABEL: name}},
                    "spec": {"arguments": {}, "workflowTemplateRef": ref},
                    "status": {"startedAt": None, "finishedAt": None}}
        apply_submit_opts(wf, opts)
        validate_workflow(wf, self._resolver(g["ns"]))
        self._check_submit_rules(g["ns"], wf)
        if opts.get("dryRun"):
            return wf
        return self._create_workflow(g["ns"], wf, store=not opts.get("serverDryRun"))

    def _api_create_workflow(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        wf: JSON | None = body.get("workflow")
        if wf is None:
            raise ApiError(3, "workflow body not specified")
        validate_workflow(wf, self._resolver(g["ns"]))
        if (body.get("createOptions") or {}).get("dryRun"):
            return wf
        return self._create_workflow(g["ns"], wf, store=not body.get("serverDryRun"))

    def _api_list_workflows(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        reqs = parse_selector(q.get("listOptions.labelSelector", [""])[0])
        items = [wf for (ns, _), wf in self.workflows.items() if ns == g["ns"]
                 and selector_matches(reqs, wf["metadata"].get("labels") or {})]
        return {"metadata": {"resourceVersion": str(self._rv)},
                "items": sort_workflows(items) or None}

    def _api_get_workflow(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        return self._workflow(g)

    def _api_stop_workflow(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        wf, strategy = self._workflow(g), "Stop" if g["action"] == "stop" else "Terminate"
        wf.setdefault("spec", {})["shutdown"] = strategy
        status = wf.setdefault("status", {})
        status.update(phase="Failed", message=f"Stopped with strategy '{strategy}'")
        status["finishedAt"] = status.get("finishedAt") or now_rfc3339()
        wf["metadata"]["resourceVersion"] = self._next_rv()
        return wf

    def _api_list_templates(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        ns, _, _ = self._template(g)
        reqs = parse_selector(q.get("listOptions.labelSelector", [""])[0])
        items = [t for (t_ns, _), t in sorted(self.templates.items()) if t_ns == ns
                 and selector_matches(reqs, t["metadata"].get("labels") or {})]
        return {"metadata": {"resourceVersion": str(self._rv)}, "items": items or None}

    def _api_create_template(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        ns, kind, resource = self._template(g)
        tmpl: JSON | None = body.get("template")
        if tmpl is None:
            raise ApiError(3, "workflow template was not found in the request body")
        validate_template(tmpl, not ns, self._resolver(ns))
        self._check_argo_rules(tmpl)
        obj = self._new_object(kind, resource, ns, tmpl, self.templates)
        self._store_template(ns, obj)
        return obj

    def _api_lint_template(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        ns, _, _ = self._template(g)
        tmpl: JSON | None = body.get("template")
        if tmpl is None:
            raise ApiError(3, "workflow template was not found in the request body")
        validate_template(tmpl, not ns, self._resolver(ns))
        self._check_argo_rules(tmpl)
        return tmpl

    def _api_get_template(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        ns, kind, _ = self._template(g)
        if (ns, g["name"]) not in self.templates:
            raise ApiError(5, f'{kind.lower()}.argoproj.io "{g["name"]}" not found')
        return self.templates[(ns, g["name"])]

    def _api_delete_template(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        ns, _, _ = self._template(g)
        self._api_get_template(g, body, q)
        del self.templates[(ns, g["name"])]
        return {}

    def _api_update_template(self, g: dict[str, str], body: JSON, q: dict[str, list[str]]) -> JSON:
        """k8s Update: the body's name wins over the path; resourceVersion must match."""
        ns, kind, resource = self._template(g)
        tmpl: JSON | None = body.get("template")
        if tmpl is None:
            raise ApiError(3, "WorkflowTemplate is not found in Request body")
        validate_template(tmpl, not ns, self._resolver(ns))
        self._check_argo_rules(tmpl)
        meta = tmpl.get("metadata") or {}
        name, rv = meta.get("name") or "", meta.get("resourceVersion") or ""
        current = self.templates.get((ns, name))
        if current is None:
            raise ApiError(5, f'{resource}.argoproj.io "{name}" not found')
        if not rv:
            raise ApiError(3, f'{resource}.argoproj.io "{name}" is invalid: metadata.'
                              "resourceVersion: Invalid value: 0: must be specified for an update")
        if rv != current["metadata"]["resourceVersion"]:
            raise ApiError(6, f'Operation cannot be fulfilled on {resource}.argoproj.io "{name}": '
                              "the object has been modified; please apply your changes to the "
                              "latest version and try again")
        validate_object_meta(kind, meta)
        fixed = {k: current["metadata"][k] for k in ("uid", "creationTimestamp")}
        obj = {**tmpl, "metadata": {**meta, **fixed, **({"namespace": ns} if ns else {}),
                                    "resourceVersion": self._next_rv()}}
        self._store_template(ns, obj)
        return obj


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() cuts connections itself; never wait on a slow handler

    def __init__(self, double: ArgoDouble, port: int) -> None:
        self.double = double
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Peers vanish on purpose here (drops, outages); handler bugs are printed in _Handler."""

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in self.connections:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes; avoid 40 ms ACK stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the double's log is ``ArgoDouble.requests``."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815 (http.server's naming)

    def _handle(self) -> None:
        double, url = self.server.double, urlsplit(self.path)
        try:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        except ValueError:
            self.close_connection = True
            return self._send(url.path, 400, {"code": 3, "message": "unreadable request body"})
        if not url.path.startswith("/api/"):
            return self._send(url.path, 404, {"code": 5, "message": "Not Found"})
        fault = double._take_fault()
        if fault == "drop":
            double._record(self.command, url.path, 0)
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        try:
            if isinstance(fault, ApiError):
                raise fault
            data = double._call(self.command, url.path, url.query, raw,
                                self.headers.get("Authorization"))
            return self._send(url.path, 200, data)
        except ApiError as err:
            return self._send(url.path, err.status, {"code": err.code, "message": err.message})
        except Exception as err:
            traceback.print_exc()
            return self._send(url.path, 500, {"code": 13, "message": f"argo double bug: {err!r}"})

    def _send(self, path: str, status: int, payload: JSON | bytes) -> None:
        if not isinstance(payload, bytes):
            payload = json.dumps(payload, separators=(",", ":")).encode()
        self.server.double._record(self.command, path, status)  # before the client can see it
        with suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if status == 200:  # Argo only sets its version header on success
                self.send_header("Grpc-Metadata-Argo-Version", VERSION)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
