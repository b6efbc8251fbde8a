"""The Argo Server double behaves as argo-workflows.md §8 says, checked over real HTTP."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests

from tests.argo_double import ArgoDouble, TemplateSpec

TOKEN_INVALID = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"
TEMPLATE_LABEL = "workflows.argoproj.io/workflow-template"


@pytest.fixture
def argo() -> Iterator[ArgoDouble]:
    double = ArgoDouble().start()
    double.add_template("t", [{"name": "email"}, {"name": "x", "value": "1", "enum": ["1", "2"]}])
    yield double
    double.stop()


@pytest.fixture
def api(argo: ArgoDouble) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer test-token"
        yield session


def submit(api: requests.Session, argo: ArgoDouble, template: str = "t",
           kind: str = "WorkflowTemplate", ns: str = "argo", **opts: Any) -> requests.Response:
    opts.setdefault("parameters", ["email=a@b"])
    body = {"resourceKind": kind, "resourceName": template, "submitOptions": opts}
    return api.post(f"{argo.url}/api/v1/workflows/{ns}/submit", json=body, timeout=5)


def assert_error(resp: requests.Response | httpx.Response, status: int, code: int,
                 message: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = resp.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    if message is not None:
        assert body["message"] == message
    return body


# §8.5 success body ----------------------------------------------------------------------------
def test_submit_success_body_is_argos_shape(argo: ArgoDouble, api: requests.Session) -> None:
    resp = submit(api, argo, name="wf-1", labels="team=data,a=b", annotations="note=hi")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert '"status":{"startedAt":null,"finishedAt":null}' in resp.text  # nulls on the wire
    wf = resp.json()
    meta = wf["metadata"]
    assert meta["name"] == "wf-1"
    assert meta["generateName"] == "t-"
    assert meta["namespace"] == "argo"
    uuid.UUID(meta["uid"])
    assert meta["resourceVersion"].isdigit()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert meta["labels"] == {TEMPLATE_LABEL: "t", "team": "data", "a": "b"}
    assert meta["annotations"] == {"note": "hi"}
    assert wf["spec"] == {"arguments": {"parameters": [{"name": "email", "value": "a@b"}]},
                          "workflowTemplateRef": {"name": "t"}}  # no template defaults copied
    assert argo.workflows[("argo", "wf-1")] == wf
    assert argo.submissions == [wf]
    assert argo.submit_count() == 1


def test_generate_name_and_increasing_resource_versions(argo: ArgoDouble,
                                                        api: requests.Session) -> None:
    first, second = submit(api, argo).json(), submit(api, argo).json()
    for wf in (first, second):
        assert re.fullmatch(r"t-[a-z0-9]{5}", wf["metadata"]["name"])
        assert wf["metadata"]["generateName"] == "t-"
    assert first["metadata"]["name"] != second["metadata"]["name"]
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_submitted_labels_merge_over_generated_and_entrypoint(argo: ArgoDouble,
                                                              api: requests.Session) -> None:
    wf = submit(api, argo, labels=f"{TEMPLATE_LABEL}=other", entryPoint="main").json()
    assert wf["metadata"]["labels"] == {TEMPLATE_LABEL: "other"}
    assert wf["spec"]["entrypoint"] == "main"
    assert "annotations" not in wf["metadata"]


def test_parameter_values_split_on_first_equals_and_may_be_empty(argo: ArgoDouble,
                                                                 api: requests.Session) -> None:
    wf = submit(api, argo, parameters=["email=a=b", "x=", "extra=1"]).json()
    assert wf["spec"]["arguments"]["parameters"] == [
        {"name": "email", "value": "a=b"}, {"name": "x", "value": ""},
        {"name": "extra", "value": "1"}]  # "" counts as a value; unknown names are kept


# §8.1 routes and bodies -----------------------------------------------------------------------
def test_namespace_comes_from_path_and_unknown_keys_are_ignored(argo: ArgoDouble,
                                                                api: requests.Session) -> None:
    argo.add_template("t", [], namespace="team")
    body = {"resourceKind": "WorkflowTemplate", "resourceName": "t", "namespace": "argo",
            "surprise": True, "submitOptions": {"name": "n1", "futureOption": 1}}
    resp = api.post(f"{argo.url}/api/v1/workflows/team/submit", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"]["namespace"] == "team"
    assert ("team", "n1") in argo.workflows


def test_malformed_json_is_400(argo: ArgoDouble, api: requests.Session) -> None:
    resp = api.post(f"{argo.url}/api/v1/workflows/argo/submit", data=b"{not json")
    assert_error(resp, 400, 3)


def test_labels_as_a_map_are_rejected_like_gos_decoder(argo: ArgoDouble,
                                                       api: requests.Session) -> None:
    body = assert_error(submit(api, argo, labels={"a": "b"}), 400, 3)
    assert "cannot unmarshal object" in body["message"]


@pytest.mark.parametrize("kind", ["WorkflowTemplate", "workflowtemplate", "workflowtemplates",
                                  "wftmpl"])
def test_workflow_template_kind_aliases(argo: ArgoDouble, api: requests.Session,
                                        kind: str) -> None:
    assert submit(api, argo, kind=kind).status_code == 200


@pytest.mark.parametrize("kind", ["ClusterWorkflowTemplate", "clusterworkflowtemplate",
                                  "clusterworkflowtemplates", "cwftmpl"])
def test_cluster_template_kind_aliases(argo: ArgoDouble, api: requests.Session,
                                       kind: str) -> None:
    assert_error(submit(api, argo, template="c", kind=kind), 404, 5,
                 'clusterworkflowtemplate.argoproj.io "c" not found')
    argo.add_template("c", [], cluster=True)
    wf = submit(api, argo, template="c", kind=kind).json()
    assert wf["metadata"]["labels"] == {"workflows.argoproj.io/cluster-workflow-template": "c"}
    assert wf["spec"]["workflowTemplateRef"] == {"name": "c", "clusterScope": True}


# §8.4 submit validation, in Argo's order ------------------------------------------------------
def test_bad_resource_kind_is_400_before_anything_else(argo: ArgoDouble,
                                                       api: requests.Session) -> None:
    resp = submit(api, argo, kind="Pod", parameters=["no-equals"], name="x" * 70)
    assert_error(resp, 400, 3, "Resource kind 'Pod' is not supported for submitting")


def test_malformed_parameter_is_500_internal_even_for_a_missing_template(
        argo: ArgoDouble, api: requests.Session) -> None:
    resp = submit(api, argo, template="missing", parameters=["foo"], name="x" * 70)
    assert_error(resp, 500, 13, "expected parameter of the form: NAME=VALUE. Received: foo")


@pytest.mark.parametrize(("labels", "detail"), [
    ("a", "unexpected label spec: a"), ("a=b=c", "unexpected label spec: a=b=c"),
    ("a=b,c", "unexpected label spec: c"), ("=b", "unexpected empty label key")])
def test_malformed_labels_are_500_internal(argo: ArgoDouble, api: requests.Session,
                                           labels: str, detail: str) -> None:
    assert_error(submit(api, argo, labels=labels), 500, 13,
                 f"expected labels of the form: NAME1=VALUE2,NAME2=VALUE2. Received: {labels}: "
                 f"{detail}")


def test_malformed_annotations_quote_the_labels_string_like_argo(argo: ArgoDouble,
                                                                 api: requests.Session) -> None:
    assert_error(submit(api, argo, labels="k=v", annotations="oops"), 500, 13,
                 "expected Annotations of the form: NAME1=VALUE2,NAME2=VALUE2. Received: k=v: "
                 "unexpected label spec: oops")


def test_long_name_is_400_before_the_template_lookup(argo: ArgoDouble,
                                                     api: requests.Session) -> None:
    name = "a" * 64
    assert_error(submit(api, argo, template="missing", name=name), 400, 3,
                 f'workflow name "{name}" must not be more than 63 characters long (currently 64)')
    assert submit(api, argo, name="a" * 63).status_code == 200


def test_missing_template_is_404(argo: ArgoDouble, api: requests.Session) -> None:
    assert_error(submit(api, argo, template="nightly-etl"), 404, 5,
                 'workflowtemplate.argoproj.io "nightly-etl" not found')


def test_bad_parameter_name_is_400_before_missing_values(argo: ArgoDouble,
                                                         api: requests.Session) -> None:
    body = assert_error(submit(api, argo, parameters=["bad name=1"]), 400, 3)
    assert body["message"] == (
        "spec.arguments.parameters[0].name: 'bad name' is invalid: Parameter/Artifact name must "
        "consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1")


def test_required_parameter_not_supplied_is_400(argo: ArgoDouble, api: requests.Session) -> None:
    assert_error(submit(api, argo, parameters=[]), 400, 3,
                 "spec.arguments.email.value or spec.arguments.email.valueFrom is required")


def test_enum_checked_only_for_template_values_not_overrides(argo: ArgoDouble,
                                                             api: requests.Session) -> None:
    argo.add_template("e", [{"name": "x", "value": "3", "enum": ["1", "2"]}])
    assert_error(submit(api, argo, template="e", parameters=[]), 400, 3,
                 "spec.arguments.x.value should be present in spec.arguments.x.enum list")
    resp = submit(api, argo, template="e", parameters=["x=9", "unknown=1"])
    assert resp.status_code == 200, resp.text
    assert [p["name"] for p in resp.json()["spec"]["arguments"]["parameters"]] == ["x", "unknown"]


def test_entrypoint_required_somewhere(argo: ArgoDouble, api: requests.Session) -> None:
    argo.add_template("noentry", [], entrypoint=None)
    assert_error(submit(api, argo, template="noentry"), 400, 3, "spec.entrypoint is required")
    assert submit(api, argo, template="noentry", entryPoint="main").status_code == 200
    assert_error(submit(api, argo, template="noentry", entryPoint="nope"), 400, 3,
                 "template reference noentry.nope not found")


def test_dry_run_validates_but_stores_nothing(argo: ArgoDouble, api: requests.Session) -> None:
    resp = submit(api, argo, name="dry", dryRun=True)
    assert resp.status_code == 200
    assert resp.json()["metadata"]["name"] == "dry"
    assert '"startedAt":null' in resp.text
    assert argo.workflows == {}
    assert argo.submit_count() == 0
    assert_error(submit(api, argo, template="missing", dryRun=True), 404, 5)


def test_existing_name_is_409_already_exists(argo: ArgoDouble, api: requests.Session) -> None:
    assert submit(api, argo, name="wf-1").status_code == 200
    assert_error(submit(api, argo, name="wf-1"), 409, 6,
                 'workflows.argoproj.io "wf-1" already exists')
    assert argo.submit_count() == 1


@pytest.mark.parametrize("opts", [{"name": "Bad_Name"}, {"name": "-x"}, {"labels": "a=b c"},
                                  {"labels": "a=" + "v" * 64}, {"labels": "bad key=v"}])
def test_invalid_name_or_label_is_400_from_the_apiserver(argo: ArgoDouble, api: requests.Session,
                                                         opts: dict[str, str]) -> None:
    body = assert_error(submit(api, argo, **opts), 400, 3)
    assert body["message"].startswith('Workflow.argoproj.io "')
    assert " is invalid: metadata." in body["message"]
    assert argo.workflows == {}


# §8.2 errors and §8.3 auth ---------------------------------------------------------------------
def test_unknown_api_route_is_501(argo: ArgoDouble, api: requests.Session) -> None:
    assert_error(api.get(f"{argo.url}/api/v1/nonsense"), 501, 12, "Not Implemented")
    assert_error(api.post(f"{argo.url}/api/v1/version"), 501, 12, "Method Not Allowed")


@pytest.mark.parametrize("header", [None, "Bearer wrong", "test-token", "Basic dGVzdA=="])
def test_auth_failures_are_401_code_16(argo: ArgoDouble, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = requests.get(f"{argo.url}/api/v1/workflows/argo", headers=headers, timeout=5)
    assert_error(resp, 401, 16, TOKEN_INVALID)
    assert "Grpc-Metadata-Argo-Version" not in resp.headers


def test_auth_can_be_turned_off() -> None:
    with ArgoDouble(token=None) as argo:
        resp = requests.get(f"{argo.url}/api/v1/version", timeout=5)
        assert resp.json() == {"version": "v4.1.2"}
        assert resp.headers["Grpc-Metadata-Argo-Version"] == "v4.1.2"


# §8.6 list and get -----------------------------------------------------------------------------
def test_empty_list_sends_items_null(argo: ArgoDouble, api: requests.Session) -> None:
    resp = api.get(f"{argo.url}/api/v1/workflows/argo")
    assert resp.status_code == 200
    assert '"items":null' in resp.text
    assert resp.json()["metadata"]["resourceVersion"].isdigit()


def test_get_returns_the_workflow_or_404(argo: ArgoDouble, api: requests.Session) -> None:
    created = submit(api, argo, name="wf-1").json()
    assert api.get(f"{argo.url}/api/v1/workflows/argo/wf-1").json() == created
    assert_error(api.get(f"{argo.url}/api/v1/workflows/argo/nope"), 404, 5,
                 'workflows.argoproj.io "nope" not found')
    assert_error(api.get(f"{argo.url}/api/v1/workflows/other/wf-1"), 404, 5)


@pytest.mark.parametrize(("selector", "expected"), [
    ("", {"a1", "a2", "b1", "none"}),
    ("team=a", {"a1", "a2"}), ("team==a", {"a1", "a2"}),
    ("team!=a", {"b1", "none"}), ("team", {"a1", "a2", "b1"}), ("!team", {"none"}),
    ("team=a,tier=gold", {"a1"}), ("team in (a,b)", {"a1", "a2", "b1"}),
    ("team notin (a)", {"b1", "none"}), ("team in (a,b),!tier", {"a2", "b1"}),
    (f"{TEMPLATE_LABEL}=t,team=b", {"b1"}),
])
def test_label_selectors(argo: ArgoDouble, api: requests.Session, selector: str,
                         expected: set[str]) -> None:
    for name, labels in {"a1": "team=a,tier=gold", "a2": "team=a", "b1": "team=b",
                         "none": ""}.items():
        assert submit(api, argo, name=name, labels=labels).status_code == 200
    resp = api.get(f"{argo.url}/api/v1/workflows/argo",
                   params={"listOptions.labelSelector": selector})
    assert {wf["metadata"]["name"] for wf in resp.json()["items"]} == expected


def test_selector_matching_nothing_and_bad_selector(argo: ArgoDouble,
                                                    api: requests.Session) -> None:
    submit(api, argo, name="wf-1")
    url = f"{argo.url}/api/v1/workflows/argo"
    resp = api.get(url, params={"listOptions.labelSelector": "team=zzz"})
    assert resp.json()["items"] is None
    assert_error(api.get(url, params={"listOptions.labelSelector": "a b"}), 400, 3)


def test_set_phase_shows_in_list_with_unfinished_first(argo: ArgoDouble,
                                                       api: requests.Session) -> None:
    for name in ("old", "mid", "new"):
        submit(api, argo, name=name)
    argo.set_phase("argo", "old", "Running")
    argo.set_phase("argo", "mid", "Succeeded")
    with httpx.Client(headers={"Authorization": "Bearer test-token"}) as client:
        items = client.get(f"{argo.url}/api/v1/workflows/argo").json()["items"]
    assert [(w["metadata"]["name"], w["status"].get("phase")) for w in items] == [
        ("new", None), ("old", "Running"), ("mid", "Succeeded")]
    running = items[1]["status"]
    assert running["startedAt"] is not None
    assert "finishedAt" in running
    assert running["finishedAt"] is None


@pytest.mark.parametrize(("action", "message"), [
    ("stop", "Stopped with strategy 'Stop'"), ("terminate", "Stopped with strategy 'Terminate'")])
def test_stop_and_terminate(argo: ArgoDouble, api: requests.Session, action: str,
                            message: str) -> None:
    submit(api, argo, name="wf-1")
    resp = api.put(f"{argo.url}/api/v1/workflows/argo/wf-1/{action}", json={})
    assert resp.status_code == 200
    assert resp.json()["status"]["phase"] == "Failed"
    assert resp.json()["status"]["message"] == message
    assert argo.workflows[("argo", "wf-1")]["status"]["phase"] == "Failed"
    assert_error(api.put(f"{argo.url}/api/v1/workflows/argo/nope/{action}", json={}), 404, 5)


# §1a CreateWorkflow --------------------------------------------------------------------------
def test_create_workflow(argo: ArgoDouble, api: requests.Session) -> None:
    url = f"{argo.url}/api/v1/workflows/argo"
    wf: dict[str, Any] = {"metadata": {"generateName": "adhoc-", "labels": {"k": "v"}},
          "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {}}]}}
    resp = api.post(url, json={"workflow": wf})
    assert resp.status_code == 200, resp.text
    created = resp.json()
    assert re.fullmatch(r"adhoc-[a-z0-9]{5}", created["metadata"]["name"])
    assert TEMPLATE_LABEL not in created["metadata"]["labels"]  # the controller adds that later
    assert '"finishedAt":null' in resp.text
    assert argo.submissions == [created]
    wf["metadata"]["name"] = created["metadata"]["name"]
    assert_error(api.post(url, json={"workflow": wf}), 409, 6)
    assert_error(api.post(url, json={}), 400, 3, "workflow body not specified")
    ref = {"metadata": {"name": "r"}, "spec": {"workflowTemplateRef": {"name": "t"}}}
    assert_error(api.post(url, json={"workflow": ref}), 400, 3,
                 "spec.arguments.email.value or spec.arguments.email.valueFrom is required")


# §8.7 WorkflowTemplates ----------------------------------------------------------------------
def test_template_create_get_list(argo: ArgoDouble, api: requests.Session) -> None:
    url = f"{argo.url}/api/v1/workflow-templates/team"
    assert '"items":null' in api.get(url).text
    manifest = TemplateSpec("b-tmpl", [{"name": "needed"}, {"name": "n", "value": 3}]).manifest()
    resp = api.post(url, json={"template": manifest})
    assert resp.status_code == 200, resp.text
    created = resp.json()
    assert created["metadata"]["namespace"] == "team"
    uuid.UUID(created["metadata"]["uid"])
    assert created["metadata"]["resourceVersion"].isdigit()
    assert created["spec"]["arguments"]["parameters"][1] == {"name": "n", "value": "3"}
    api.post(url, json={"template": TemplateSpec("a-tmpl").manifest()})
    assert [t["metadata"]["name"] for t in api.get(url).json()["items"]] == ["a-tmpl", "b-tmpl"]
    assert api.get(f"{url}/b-tmpl").json() == created
    assert_error(api.get(f"{url}/nope"), 404, 5, 'workflowtemplate.argoproj.io "nope" not found')
    assert_error(api.post(url, json={"template": manifest}), 409, 6,
                 'workflowtemplates.argoproj.io "b-tmpl" already exists')
    long = TemplateSpec("x" * 64).manifest()
    assert_error(api.post(url, json={"template": long}), 400, 3)
    resp = api.post(f"{argo.url}/api/v1/workflows/team/submit",
                    json={"resourceKind": "WorkflowTemplate", "resourceName": "b-tmpl",
                          "submitOptions": {"parameters": ["needed=1"]}})
    assert resp.status_code == 200, resp.text


def test_template_update_needs_the_current_resource_version(argo: ArgoDouble,
                                                            api: requests.Session) -> None:
    url = f"{argo.url}/api/v1/workflow-templates/argo"
    current = api.get(f"{url}/t").json()
    current["spec"]["entrypoint"] = "main"
    resp = api.put(f"{url}/t", json={"template": current})
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert int(updated["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"])
    assert updated["metadata"]["uid"] == current["metadata"]["uid"]
    assert_error(api.put(f"{url}/t", json={"template": current}), 409, 6,
                 'Operation cannot be fulfilled on workflowtemplates.argoproj.io "t": the object '
                 "has been modified; please apply your changes to the latest version and try again")
    del current["metadata"]["resourceVersion"]
    assert_error(api.put(f"{url}/t", json={"template": current}), 400, 3)
    current["metadata"]["name"] = "ghost"
    current["metadata"]["resourceVersion"] = "1"
    assert_error(api.put(f"{url}/t", json={"template": current}), 404, 5)


def test_template_lint_and_delete(argo: ArgoDouble, api: requests.Session) -> None:
    url = f"{argo.url}/api/v1/workflow-templates/argo"
    good = TemplateSpec("lint-me", [{"name": "no_value"}]).manifest()
    resp = api.post(f"{url}/lint", json={"template": good})
    assert resp.status_code == 200
    assert resp.json() == good
    bad = TemplateSpec("lint-me", [{"name": "bad name"}]).manifest()
    assert_error(api.post(f"{url}/lint", json={"template": bad}), 400, 3)
    assert ("argo", "lint-me") not in argo.templates
    assert api.delete(f"{url}/t").json() == {}
    assert_error(api.delete(f"{url}/t"), 404, 5)
    assert_error(submit(api, argo), 404, 5)


def test_informer_lag_gives_404_then_success(argo: ArgoDouble, api: requests.Session) -> None:
    argo.informer_lag = 0.3
    added = time.monotonic()
    argo.add_template("fresh", [])
    assert_error(submit(api, argo, template="fresh"), 404, 5,
                 'workflowtemplate.argoproj.io "fresh" not found')
    deadline, status = time.monotonic() + 5, 404
    while status == 404 and time.monotonic() < deadline:  # a time-based feature: bounded retry
        status = submit(api, argo, template="fresh").status_code
        if status == 404:
            time.sleep(0.05)
    assert status == 200
    assert time.monotonic() - added >= 0.3
    assert submit(api, argo).status_code == 200  # templates seeded before the lag are visible


# fault injection -----------------------------------------------------------------------------
def test_fail_next_answers_n_errors_before_auth_then_recovers(argo: ArgoDouble,
                                                              api: requests.Session) -> None:
    argo.fail_next(2, status=503)
    url = f"{argo.url}/api/v1/version"
    assert_error(requests.get(url, timeout=5), 503, 14, "injected failure")  # no token: still 503
    assert_error(api.get(url), 503, 14, "injected failure")
    assert api.get(url).status_code == 200
    argo.fail_next(1, status=429, code=8, message="slow down")
    assert_error(submit(api, argo), 429, 8, "slow down")
    assert argo.submit_count() == 0
    assert requests.get(f"{argo.url}/healthz", timeout=5).status_code == 404  # not /api/


def test_fail_until_cleared(argo: ArgoDouble, api: requests.Session) -> None:
    argo.fail_until_cleared(500)
    for _ in range(3):
        assert_error(submit(api, argo), 500, 13)
    argo.clear_faults()
    assert submit(api, argo).status_code == 200


def test_drop_next_closes_the_connection_without_a_response(argo: ArgoDouble,
                                                            api: requests.Session) -> None:
    assert api.get(f"{argo.url}/api/v1/version").status_code == 200  # keep-alive connection
    argo.drop_next(1)
    with pytest.raises(requests.ConnectionError):
        submit(api, argo, name="wf-1")
    assert argo.submit_count() == 0
    assert argo.requests[-1] == ("POST", "/api/v1/workflows/argo/submit", 0)
    assert submit(api, argo, name="wf-1").status_code == 200
    argo.drop_next(1)
    with httpx.Client() as client, pytest.raises(httpx.TransportError):
        client.get(f"{argo.url}/api/v1/version")


def test_delay_is_per_request_and_does_not_serialise_requests(argo: ArgoDouble,
                                                              api: requests.Session) -> None:
    argo.delay = 0.4
    with pytest.raises(requests.Timeout):
        api.get(f"{argo.url}/api/v1/version", timeout=0.1)
    statuses: list[int] = []

    def call() -> None:
        r = requests.get(f"{argo.url}/api/v1/version", timeout=5,
                         headers={"Authorization": "Bearer test-token"})
        statuses.append(r.status_code)
    threads = [threading.Thread(target=call) for _ in range(5)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 5
    assert time.monotonic() - started < 1.5  # five 0.4 s delays overlap
    argo.clear_faults()
    assert argo.delay == 0


def test_restart_keeps_state_and_port(argo: ArgoDouble, api: requests.Session) -> None:
    submit(api, argo, name="wf-1")
    port = argo.port
    argo.stop()
    with pytest.raises(requests.ConnectionError):
        api.get(f"{argo.url}/api/v1/workflows/argo/wf-1", timeout=2)
    argo.start()
    assert argo.port == port
    assert api.get(f"{argo.url}/api/v1/workflows/argo/wf-1").status_code == 200
    argo.restart()
    assert argo.port == port
    assert_error(submit(api, argo, name="wf-1"), 409, 6)
    assert submit(api, argo, name="wf-2").status_code == 200


# bookkeeping and concurrency ------------------------------------------------------------------
def test_requests_log_and_wait_for_submissions(argo: ArgoDouble, api: requests.Session) -> None:
    assert argo.wait_for_submissions(1, timeout=0.05) is False
    worker = threading.Thread(target=lambda: [submit(api, argo) for _ in range(3)])
    worker.start()
    assert argo.wait_for_submissions(3, timeout=10)
    worker.join()
    api.get(f"{argo.url}/api/v1/workflows/argo", params={"listOptions.labelSelector": "a"})
    assert argo.requests[-4:] == [("POST", "/api/v1/workflows/argo/submit", 200)] * 3 + [
        ("GET", "/api/v1/workflows/argo", 200)]


def test_concurrent_submits_of_one_name_create_exactly_one(argo: ArgoDouble) -> None:
    statuses: list[int] = []

    def call() -> None:
        with requests.Session() as s:
            s.headers["Authorization"] = "Bearer test-token"
            statuses.append(submit(s, argo, name="same").status_code)
    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 11
    assert argo.submit_count() == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_hera_parses_submit_and_maps_409_to_already_exists(argo: ArgoDouble) -> None:
    from hera.exceptions import AlreadyExists, NotFound
    from hera.workflows import WorkflowsService
    from hera.workflows.models import SubmitOpts, WorkflowSubmitRequest

    service = WorkflowsService(host=argo.url, token="test-token", namespace="argo")

    def request(name: str, template: str = "t") -> WorkflowSubmitRequest:
        return WorkflowSubmitRequest(resource_kind="WorkflowTemplate", resource_name=template,
                                     submit_options=SubmitOpts(name=name, parameters=["email=a@b"],
                                                               labels="a=b"))
    wf = service.submit_workflow(request("wf-1"))
    assert wf.metadata.name == "wf-1"
    assert wf.metadata.labels == {TEMPLATE_LABEL: "t", "a": "b"}
    assert wf.status is not None
    assert wf.status.finished_at is None
    with pytest.raises(AlreadyExists):
        service.submit_workflow(request("wf-1"))
    with pytest.raises(NotFound):
        service.submit_workflow(request("wf-2", template="missing"))
    listed = service.list_workflows(namespace="argo", label_selector="a=b")
    assert [w.metadata.name for w in listed.items or []] == ["wf-1"]
    assert argo.requests[-1] == ("GET", "/api/v1/workflows/argo", 200)
