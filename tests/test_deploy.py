"""The Kubernetes manifests in deploy/: rendered by the real kustomize, judged by Kubernetes' schemas.

- Each kustomization (the base, the example overlay, the Argo-side RBAC and its optional
  templates-apply part) is rendered with `kustomize build` (scripts/install-kustomize builds
  sigs.k8s.io/kustomize/kustomize/v5 from the Go module proxy into ~/.cache/trigger-bridge/bin).
- Every rendered object, and the opt-in token Secret example, is validated with
  kubernetes-validate (the Kubernetes OpenAPI schemas as JSON schemas, bundled with the package:
  offline) in strict mode, where an unknown or misplaced field is an error, for the oldest and the
  newest Kubernetes version named below. A schema check is not the API server's validation (it
  does not know, say, that `Recreate` forbids `rollingUpdate`): the semantic tests cover what
  matters here.
- Semantics: one replica replaced with `Recreate`, the journal's PersistentVolumeClaim mounted
  where BRIDGE_STATE__PATH points, the ConfigMap's trigger file accepted by the bridge's own
  loader in the environment the pod would have, the Service reaching the container port, the
  Secret references resolving, the RBAC verbs exactly as documented.

Without kustomize or kubernetes-validate the module is skipped with one line, except on CI
(CI=true), where each test fails naming what is missing.
"""

from __future__ import annotations

import base64
import copy
import functools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bridge.config.load import load_config
from bridge.config.types import split_listen

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUSTOMIZATIONS = ("base", "overlays/example", "rbac", "rbac/templates-apply")
TOKEN_SECRET = DEPLOY / "rbac" / "token-secret.example.yaml"
# The oldest Kubernetes still commonly run, and the newest the installed package bundles.
OLDEST_KUBERNETES = "1.30.0"

ARGO_NAMESPACE = "argo"
OVERLAY_NAMESPACE = "trigger-bridge"
OVERLAY_IMAGE = "registry.example.org/trigger-bridge:0.1.0"
STATE_DIR = "/var/lib/trigger-bridge"
CONFIG_FILE = "/etc/trigger-bridge/bridge.yaml"
SECRETS = (
    "ARGO_TOKEN",
    "ONBOARD_TOKEN",
    "REPORT_HOOK_SECRET",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
)
REQUIRED_SECRETS = {"ARGO_TOKEN"}  # argo.server is set; the rest depends on the triggers

# The Argo-side Roles, exactly: (apiGroup, resource) -> verbs.
BRIDGE_RULES = {
    ("argoproj.io", "workflows"): {"create", "get", "list", "update", "patch"},
    ("argoproj.io", "workflowtemplates"): {"get", "list"},
}
TEMPLATES_APPLY_RULES = {
    ("argoproj.io", "workflowtemplates"): {"create", "update", "get", "list"},
}

NOT_BUILT = "kustomize not built: run scripts/install-kustomize (needs Go)"
NO_VALIDATOR = "kubernetes-validate not installed: scripts/setup --test installs the test extras"


def kustomize_binary() -> Path | None:
    """`$KUSTOMIZE_BIN` if set, else scripts/install-kustomize's cache."""
    configured = os.environ.get("KUSTOMIZE_BIN")
    if configured:
        candidate = Path(configured)
    else:
        cache = os.environ.get("TRIGGER_BRIDGE_CACHE")
        root = Path(cache) if cache else Path.home() / ".cache" / "trigger-bridge"
        candidate = root / "bin" / "kustomize"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def _validator_installed() -> bool:
    try:
        import kubernetes_validate  # noqa: F401
    except ImportError:
        return False
    return True


def _missing() -> list[str]:
    missing = []
    if kustomize_binary() is None:
        missing.append(NOT_BUILT)
    if not _validator_installed():
        missing.append(NO_VALIDATOR)
    return missing


if _missing() and os.environ.get("CI") != "true":
    pytest.skip("; ".join(_missing()), allow_module_level=True)


def _require(what: str, present: bool) -> None:
    if not present:
        pytest.fail(f"{what} [CI=true, so this is an error, not a skip]")


@functools.cache
def _build(kustomization: str) -> tuple[dict[str, Any], ...]:
    binary = kustomize_binary()
    _require(NOT_BUILT, binary is not None)
    assert binary is not None
    done = subprocess.run(
        [str(binary), "build", str(DEPLOY / kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"kustomize build deploy/{kustomization}:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def render(kustomization: str) -> list[dict[str, Any]]:
    """The objects `kustomize build deploy/<kustomization>` prints (a fresh copy)."""
    return copy.deepcopy(list(_build(kustomization)))


def only(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {[o['metadata']['name'] for o in found]}"
    return found[0]


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    containers = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def kubernetes_versions() -> list[str]:
    _require(NO_VALIDATOR, _validator_installed())
    from kubernetes_validate import utils

    return [OLDEST_KUBERNETES, utils.latest_version()]


def schema_errors(obj: dict[str, Any], version: str) -> str | None:
    """None if `obj` passes the strict schema of `version`, else the error (a missing schema
    for its kind is an error too, never a pass)."""
    _require(NO_VALIDATOR, _validator_installed())
    from kubernetes_validate import utils

    try:
        utils.validate(obj, version, strict=True)
    except utils.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        return f"{obj['kind']}/{obj['metadata']['name']} at {path or '(top)'}: {exc.message}"
    except utils.SchemaNotFoundError as exc:
        return exc.message
    return None


# --- every object, against Kubernetes' schemas ---------------------------------------------------


def _all_objects() -> Iterator[tuple[str, dict[str, Any]]]:
    for kustomization in KUSTOMIZATIONS:
        for obj in render(kustomization):
            yield f"deploy/{kustomization}", obj
    for obj in yaml.safe_load_all(TOKEN_SECRET.read_text(encoding="utf-8")):
        yield str(TOKEN_SECRET.relative_to(ROOT)), obj


def test_every_object_passes_the_strict_kubernetes_schema() -> None:
    checked, problems = 0, []
    for version in kubernetes_versions():
        for source, obj in _all_objects():
            error = schema_errors(obj, version)
            if error is not None:
                problems.append(f"{source} (Kubernetes {version}): {error}")
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 2 * 15  # every kustomization rendered something


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["spec"]["template"]["spec"].update(securityContxt={}), "securityContxt"),
        (lambda d: d["spec"].update(replicas="one"), "'one' is not of type"),
        (lambda d: d["spec"]["strategy"].update(recreateParams={}), "recreateParams"),
    ],
    ids=["misspelt-field", "wrong-type", "misplaced-field"],
)
def test_the_schema_check_can_fail(change: Any, expected: str) -> None:
    deployment = only(render("base"), "Deployment")
    assert schema_errors(deployment, OLDEST_KUBERNETES) is None
    change(deployment)
    error = schema_errors(deployment, OLDEST_KUBERNETES)
    assert error is not None
    assert expected in error


def test_an_unknown_kind_is_an_error_not_a_pass() -> None:
    obj = {"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "x"}}
    assert "Couldn't find schema" in (schema_errors(obj, OLDEST_KUBERNETES) or "")


def test_every_manifest_file_is_used() -> None:
    """A YAML file in deploy/ that no kustomization names would never be checked or applied."""
    used = {TOKEN_SECRET}
    for kustomization in KUSTOMIZATIONS:
        folder = DEPLOY / kustomization
        spec = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
        used.add(folder / "kustomization.yaml")
        used.update(folder / r for r in spec.get("resources", []) if r.endswith(".yaml"))
        for generator in spec.get("configMapGenerator", []) + spec.get("secretGenerator", []):
            used.update(folder / f.split("=")[-1] for f in generator.get("files", []))
    unused = sorted(str(p.relative_to(ROOT)) for p in DEPLOY.rglob("*.yaml") if p not in used)
    assert not unused, f"not part of any kustomization: {unused}"


# --- the bridge's Deployment -------------------------------------------------------------------


@pytest.mark.parametrize("kustomization", ["base", "overlays/example"])
def test_one_bridge_at_a_time_with_its_journal_on_a_volume(kustomization: str) -> None:
    objects = render(kustomization)
    deployment = only(objects, "Deployment")
    assert deployment["metadata"]["name"] == "trigger-bridge"
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    main = container(objects)
    env = {e["name"]: e for e in main["env"]}
    state_path = PurePosixPath(env["BRIDGE_STATE__PATH"]["value"])
    assert state_path == PurePosixPath(STATE_DIR) / "bridge-state.db"

    claim = only(objects, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    journal = mounts[STATE_DIR]
    assert not journal.get("readOnly", False)
    assert volumes[journal["name"]]["persistentVolumeClaim"] == {
        "claimName": claim["metadata"]["name"]
    }
    assert state_path.parent == PurePosixPath(STATE_DIR)


@pytest.mark.parametrize("kustomization", ["base", "overlays/example"])
def test_container_runs_the_daemon_locked_down(kustomization: str) -> None:
    objects = render(kustomization)
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    main = container(objects)
    assert main["args"] == ["run", "--config", CONFIG_FILE]
    assert [(p["name"], p["containerPort"]) for p in main["ports"]] == [("http", 8080)]
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    for kind in ("requests", "limits"):
        assert set(main["resources"][kind]) == {"cpu", "memory"}

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    assert "USER 10001" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = main["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    # With a read-only root, everything written is on a mount: the journal and /tmp.
    writable = {m["mountPath"] for m in main["volumeMounts"] if not m.get("readOnly", False)}
    assert writable == {STATE_DIR, "/tmp"}

    account = only(objects, "ServiceAccount")
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert account["automountServiceAccountToken"] is False
    assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("kustomization", ["base", "overlays/example"])
def test_service_reaches_the_container_port(kustomization: str) -> None:
    objects = render(kustomization)
    deployment = only(objects, "Deployment")
    service = only(objects, "Service")
    main = container(objects)
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    by_name = {p["name"]: p["containerPort"] for p in main["ports"]}
    target = port["targetPort"]
    assert by_name.get(target, target) == 8080
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


@pytest.mark.parametrize("kustomization", ["base", "overlays/example"])
def test_secrets_come_from_one_secret_and_only_the_argo_token_is_required(
    kustomization: str,
) -> None:
    main = container(render(kustomization))
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in main["env"] if "valueFrom" in e}
    assert set(refs) == set(SECRETS)
    assert all(ref["key"] == name for name, ref in refs.items())
    assert len({ref["name"] for ref in refs.values()}) == 1
    required = {name for name, ref in refs.items() if not ref.get("optional", False)}
    assert required == REQUIRED_SECRETS
    # No secret value is written into the Deployment itself.
    assert all("value" not in e for e in main["env"] if e["name"] in SECRETS)


# --- the trigger file in the ConfigMap ----------------------------------------------------------


def pod_environment(objects: list[dict[str, Any]]) -> dict[str, str]:
    """The variables the container would get: literal values, and each secretKeyRef from the
    rendered Secret if there is one (the overlay), else a dummy value (the base has none)."""
    secrets = [o for o in objects if o["kind"] == "Secret"]
    values: dict[str, dict[str, str]] = {}
    for secret in secrets:
        data = {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}
        values[secret["metadata"]["name"]] = {**data, **secret.get("stringData", {})}
    env: dict[str, str] = {}
    for entry in container(objects)["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        if not secrets:
            env[entry["name"]] = f"dummy-{entry['name'].lower()}"
            continue
        assert ref["name"] in values, f"{entry['name']}: no Secret named {ref['name']}"
        if ref["key"] in values[ref["name"]]:
            env[entry["name"]] = values[ref["name"]][ref["key"]]
        else:
            assert ref.get("optional", False), f"{entry['name']}: the Secret has no {ref['key']}"
    return env


def mounted_trigger_file(objects: list[dict[str, Any]]) -> str:
    """The text the pod reads at CONFIG_FILE: the ConfigMap key behind that mount."""
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    main = container(objects)
    config_dir, key = str(PurePosixPath(CONFIG_FILE).parent), PurePosixPath(CONFIG_FILE).name
    mount = next(m for m in main["volumeMounts"] if m["mountPath"] == config_dir)
    assert mount.get("readOnly") is True
    assert "subPath" not in mount
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    config_map = only(objects, "ConfigMap")
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    text: str = config_map["data"][key]
    return text


@pytest.mark.parametrize(
    ("kustomization", "example"),
    [("base", "examples/bridge.yaml"), ("overlays/example", "examples/drone.yaml")],
)
def test_trigger_file_loads_in_the_pods_environment(
    kustomization: str, example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = render(kustomization)
    text = mounted_trigger_file(objects)
    file = tmp_path / "bridge.yaml"
    file.write_text(text, encoding="utf-8")
    env = pod_environment(objects)

    # The file alone says what the Deployment's BRIDGE_* variables say.
    for name in [n for n in os.environ if n.upper().startswith("BRIDGE_")]:
        monkeypatch.delenv(name)
    alone = load_config(file, env)
    # Then as the pod sees it: BRIDGE_* variables win over the file.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    loaded = load_config(file, env)

    main = container(objects)
    for config in (alone, loaded):
        assert str(config.state_path) == env["BRIDGE_STATE__PATH"]
        assert config.config.http.listen == env["BRIDGE_HTTP__LISTEN"]
    host, port = split_listen(loaded.config.http.listen)
    assert host == "0.0.0.0"
    assert port == main["ports"][0]["containerPort"]
    argo = loaded.config.argo
    assert argo.server == "https://argo-server.argo:2746"
    assert not argo.dry_run
    assert argo.namespace == ARGO_NAMESPACE  # where deploy/rbac grants the token its rights
    assert argo.token is not None
    assert argo.token.get_secret_value() == env["ARGO_TOKEN"]

    # The same triggers as the example it was adapted from.
    deployed = yaml.safe_load(text)["triggers"]
    original = yaml.safe_load((ROOT / example).read_text(encoding="utf-8"))["triggers"]
    assert deployed == original, f"deploy/{kustomization}'s trigger file drifted from {example}"


def test_base_has_no_secret_of_its_own() -> None:
    assert not [o for o in render("base") if o["kind"] == "Secret"]


# --- the example overlay -----------------------------------------------------------------------


def test_overlay_sets_namespace_image_and_trigger_file() -> None:
    objects = render("overlays/example")
    namespace = only(objects, "Namespace")
    assert namespace["metadata"]["name"] == OVERLAY_NAMESPACE
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == OVERLAY_NAMESPACE, obj["metadata"]["name"]
    assert container(objects)["image"] == OVERLAY_IMAGE
    assert container(render("base"))["image"] == "trigger-bridge:latest"
    # The drone file replaced the base's (one ConfigMap, with the minio trigger).
    triggers = yaml.safe_load(mounted_trigger_file(objects))["triggers"]
    assert [t["name"] for t in triggers] == ["drone-photos"]


def test_overlay_secret_holds_placeholders_only() -> None:
    objects = render("overlays/example")
    secret = only(objects, "Secret")
    values = pod_environment(objects)
    ref_names = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in container(objects)["env"]
        if "valueFrom" in e
    }
    assert ref_names == {secret["metadata"]["name"]}  # kustomize's hashed name, resolved
    assert set(secret["data"]) == {"ARGO_TOKEN", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"}
    for key in secret["data"]:
        assert values[key].startswith("CHANGE-ME-"), f"{key} must be a marked placeholder"


# --- RBAC in Argo's namespace --------------------------------------------------------------------


def rules(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}  # no resourceNames, no URLs
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                key = (group, resource)
                assert key not in found, f"{key} granted twice"
                assert len(set(rule["verbs"])) == len(rule["verbs"])
                found[key] = set(rule["verbs"])
    return found


@pytest.mark.parametrize(
    ("kustomization", "account", "expected"),
    [
        ("rbac", "trigger-bridge", BRIDGE_RULES),
        ("rbac/templates-apply", "trigger-bridge-templates", TEMPLATES_APPLY_RULES),
    ],
)
def test_rbac_grants_exactly_the_documented_verbs(
    kustomization: str, account: str, expected: dict[tuple[str, str], set[str]]
) -> None:
    objects = render(kustomization)
    assert sorted(o["kind"] for o in objects) == ["Role", "RoleBinding", "ServiceAccount"]
    assert {o["metadata"]["namespace"] for o in objects} == {ARGO_NAMESPACE}
    role, binding = only(objects, "Role"), only(objects, "RoleBinding")
    assert only(objects, "ServiceAccount")["metadata"]["name"] == account
    assert rules(role) == expected
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account, "namespace": ARGO_NAMESPACE}
    ]


def test_long_lived_token_example_is_opt_in_and_names_the_bridge_account() -> None:
    (secret,) = yaml.safe_load_all(TOKEN_SECRET.read_text(encoding="utf-8"))
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["namespace"] == ARGO_NAMESPACE
    account = only(render("rbac"), "ServiceAccount")["metadata"]["name"]
    assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": account}
    assert "data" not in secret  # Kubernetes fills in the token
    assert not [o for o in render("rbac") if o["kind"] == "Secret"]
    assert "kubectl -n argo create token trigger-bridge" in TOKEN_SECRET.read_text(encoding="utf-8")


def test_install_script_pins_what_the_docs_say() -> None:
    script = (ROOT / "scripts" / "install-kustomize").read_text(encoding="utf-8")
    assert 'MODULE="sigs.k8s.io/kustomize/kustomize/v5"' in script
    binary = kustomize_binary()
    _require(NOT_BUILT, binary is not None)
    assert binary is not None
    if os.environ.get("KUSTOMIZE_BIN"):
        return  # someone else's build: its version is theirs
    version = subprocess.run(
        [str(binary), "version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    assert f'VERSION="{version}"' in script
