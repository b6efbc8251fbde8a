"""The Argo Server, behind a small interface; the only module that imports Hera.

`ArgoClient` is what the dispatcher and the start-up check need. `HeraArgoClient` implements it
with Hera's `WorkflowsService`, adding the connect and read timeouts Hera leaves out, and
classifies every outcome once (ARCHITECTURE invariant 6): 2xx is created, 409 means the workflow
already exists (done, not an error), connection errors, timeouts, 401, 403, 429 and 5xx raise
`RetryableSubmitError` (a bad token is fixed out of band; the events wait for it), any other 4xx
raises `PermanentSubmitError` with the server's message.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

import requests
from hera.exceptions import HeraException
from hera.workflows import WorkflowsService
from hera.workflows.models import (
    SubmitOpts,
    WorkflowStopRequest,
    WorkflowSubmitRequest,
    WorkflowTemplate,
    WorkflowTemplateCreateRequest,
    WorkflowTemplateUpdateRequest,
)
from pydantic import PydanticDeprecatedSince20

from bridge.config.model import ArgoSettings
from bridge.errors import PermanentSubmitError, RetryableSubmitError
from bridge.evaluate import TRIGGER_LABEL, Submission

__all__ = [
    "ACTIVE_PHASES",
    "ArgoClient",
    "HeraArgoClient",
    "SubmitResult",
    "TemplateInfo",
    "normalize_template",
]

ACTIVE_PHASES: Final = frozenset({None, "", "Pending", "Running"})

# Hera 7 serialises requests with pydantic's deprecated `.json()`; the warning is Hera's to fix.
warnings.filterwarnings("ignore", category=PydanticDeprecatedSince20, module=r"hera\.")


@dataclass(frozen=True)
class SubmitResult:
    """The workflow exists on the server; `created` is False when it already did (409)."""

    workflow: str
    created: bool


@dataclass(frozen=True)
class TemplateInfo:
    """What the start-up check needs of a WorkflowTemplate."""

    name: str
    required: frozenset[str]  # parameters with neither value nor valueFrom: a submit must give them
    known: frozenset[str]


class ArgoClient(Protocol):
    """The calls the bridge makes to the Argo Server. Blocking: run them in a thread."""

    def submit(self, submission: Submission) -> SubmitResult:
        """Submit a workflow from its WorkflowTemplate under the submission's name."""
        ...

    def get_template(self, name: str) -> TemplateInfo | None:
        """Return the template's parameters, or None if it does not exist."""
        ...

    def active_workflows(self, trigger: str) -> list[str]:
        """Return the names of the trigger's workflows that are pending or running."""
        ...

    def stop(self, workflow: str) -> None:
        """Stop a workflow (its exit handlers still run); an unknown one is no error."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class _TimedService(WorkflowsService):
    """Hera's service with timeouts on every request and the last response kept per thread."""

    def __init__(self, timeout: tuple[float, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._timeout = timeout
        self.last = threading.local()

    def _request(self, method: str, **kwargs: Any) -> requests.Response:
        response: requests.Response = self.session.request(method, timeout=self._timeout, **kwargs)
        self.last.response = response
        return response


class HeraArgoClient:
    """`ArgoClient` over the Argo Server's REST API, through Hera."""

    def __init__(self, settings: ArgoSettings) -> None:
        if settings.server is None:
            raise ValueError("HeraArgoClient needs argo.server; without it the bridge runs dry")
        token = settings.token.get_secret_value() if settings.token is not None else None
        self.namespace = settings.namespace
        self._service = _TimedService(
            timeout=(
                settings.connect_timeout.total_seconds(),
                settings.read_timeout.total_seconds(),
            ),
            host=settings.server + "/",
            token=token,
            verify_ssl=settings.verify_tls,
            namespace=settings.namespace,
        )

    def submit(self, submission: Submission) -> SubmitResult:
        """Submit; 409 AlreadyExists is a success with ``created=False``."""
        request = WorkflowSubmitRequest(
            resource_kind="WorkflowTemplate",
            resource_name=submission.template,
            submit_options=SubmitOpts(
                name=submission.workflow_name,
                parameters=[f"{name}={value}" for name, value in submission.parameters] or None,
                labels=",".join(f"{k}={v}" for k, v in submission.labels) or None,
            ),
        )
        with self._classified() as outcome:
            self._service.submit_workflow(request, namespace=self.namespace)
        if outcome.status == 409:
            return SubmitResult(submission.workflow_name, created=False)
        return SubmitResult(submission.workflow_name, created=True)

    def get_template(self, name: str) -> TemplateInfo | None:
        """Read a WorkflowTemplate's parameters; None when the server answers 404."""
        with self._classified(allow=(404,)) as outcome:
            template = self._service.get_workflow_template(name, namespace=self.namespace)
        if outcome.status == 404:
            return None
        arguments = template.spec.arguments if template.spec is not None else None
        parameters = (arguments.parameters if arguments is not None else None) or []
        required = {p.name for p in parameters if p.value is None and p.value_from is None}
        return TemplateInfo(name, frozenset(required), frozenset(p.name for p in parameters))

    def active_workflows(self, trigger: str) -> list[str]:
        """List the trigger's workflows (by label) whose phase is unset, Pending or Running."""
        with self._classified(allow=()):
            listed = self._service.list_workflows(
                namespace=self.namespace,
                label_selector=f"{TRIGGER_LABEL}={trigger}",
                fields="items.metadata.name,items.status.phase",
            )
        return sorted(
            str(item.metadata.name)
            for item in listed.items or []
            if (item.status.phase if item.status is not None else None) in ACTIVE_PHASES
        )

    def stop(self, workflow: str) -> None:
        """Stop `workflow`; a 404 (already gone) is not an error."""
        request = WorkflowStopRequest(name=workflow, namespace=self.namespace)
        with self._classified(allow=(404,)):
            self._service.stop_workflow(workflow, request, namespace=self.namespace)

    def get_template_object(self, name: str) -> dict[str, Any] | None:
        """Return the WorkflowTemplate as stored on the server (camelCase JSON), or None."""
        with self._classified(allow=(404,)) as outcome:
            template = self._service.get_workflow_template(name, namespace=self.namespace)
        if outcome.status == 404:
            return None
        return _plain(template)

    def create_template(self, template: dict[str, Any]) -> None:
        """Create a WorkflowTemplate; 409 if it exists (raised as PermanentSubmitError)."""
        request = WorkflowTemplateCreateRequest(template=WorkflowTemplate(**template))
        with self._classified(allow=()):
            self._service.create_workflow_template(request, namespace=self.namespace)

    def update_template(self, template: dict[str, Any]) -> None:
        """Replace a WorkflowTemplate; `template` carries the resourceVersion it was read at."""
        name = template["metadata"]["name"]
        request = WorkflowTemplateUpdateRequest(template=WorkflowTemplate(**template))
        with self._classified(allow=()):
            self._service.update_workflow_template(name, request, namespace=self.namespace)

    def close(self) -> None:
        """Close the HTTP session."""
        self._service.close()  # type: ignore[no-untyped-call]  # Hera is untyped

    @contextlib.contextmanager
    def _classified(self, allow: tuple[int, ...] = (409,)) -> Iterator[_Outcome]:
        """Translate transport and HTTP failures into the bridge's error tree."""
        outcome = _Outcome()
        try:
            yield outcome
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableSubmitError(f"cannot reach the Argo Server: {_short(exc)}") from None
        except (
            HeraException,
            KeyError,
        ):  # Hera raises KeyError for an error body without "message"
            response: requests.Response | None = getattr(self._service.last, "response", None)
            status = response.status_code if response is not None else 0
            message = _server_message(response)
            if status in allow:
                outcome.status = status
                return
            text = f"Argo Server answered {status}: {message}"
            # 401/403 wait too: an expired or unauthorised token is fixed out of band, and
            # failing every event meanwhile would lose them.
            if status in (401, 403, 429) or status >= 500 or status == 0:
                raise RetryableSubmitError(text, status) from None
            raise PermanentSubmitError(text, status) from None
        except requests.RequestException as exc:
            raise RetryableSubmitError(
                f"request to the Argo Server failed: {_short(exc)}"
            ) from None


@dataclass
class _Outcome:
    status: int = 200


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    """Read a WorkflowTemplate through Argo's API model, so a file compares with the server."""
    return _plain(WorkflowTemplate(**template))


def _plain(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return data


def _server_message(response: requests.Response | None) -> str:
    if response is None:
        return "no response"
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message else response.text[:500]


def _short(exc: Exception) -> str:
    """A one-line reason without the URL's query or the token (requests never puts it there)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
