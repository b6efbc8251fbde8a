"""The trigger file: strict validation, every problem at once, each with file, line and advice."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bridge.config.load import load_config
from bridge.errors import ConfigError

GOOD = """\
argo:
  server: https://argo-server.argo:2746
  namespace: argo
  token: ${ARGO_TOKEN}
http:
  listen: 127.0.0.1:8080
triggers:
  - name: onboarding
    on:
      webhook:
        path: /hooks/onboarding
        auth:
          bearer: ${ONBOARD_TOKEN}
        dedupKey: header.X-Request-Id
    workflowTemplate: onboard-employee
    parameters:
      - name: email
        from: body.employee.email
      - name: source
        value: hr-portal
"""
ENV = {"ARGO_TOKEN": "argo-secret", "ONBOARD_TOKEN": "hook-secret"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ=ENV if env is None else env)
    return [str(p) for p in caught.value.problems]


def test_the_issue_example_loads(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, GOOD), environ=ENV)
    config = loaded.config
    trigger = config.triggers[0]
    assert trigger.on.webhook is not None
    assert trigger.on.webhook.auth.bearer is not None
    assert trigger.on.webhook.auth.bearer.get_secret_value() == "hook-secret"
    assert config.argo.token is not None
    assert config.argo.token.get_secret_value() == "argo-secret"
    assert not config.argo.dry_run
    assert loaded.state_path == tmp_path / "bridge-state.db"


def test_secrets_never_show_in_the_printed_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ=ENV).config
    assert "hook-secret" not in repr(config)
    assert "argo-secret" not in repr(config)


def test_every_example_file_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_TOKEN", "t")
    monkeypatch.setenv("REPORT_HOOK_SECRET", "s")
    monkeypatch.setenv("MINIO_ACCESS_KEY", "a")
    monkeypatch.setenv("MINIO_SECRET_KEY", "b")
    files = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))
    assert files
    for file in files:
        load_config(file)


def test_on_is_a_key_not_a_boolean(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ=ENV).config
    assert config.triggers[0].on.webhook is not None


def test_absent_server_means_dry_run(tmp_path: Path) -> None:
    text = GOOD.replace("  server: https://argo-server.argo:2746\n", "")
    assert load_config(write(tmp_path, text), environ=ENV).config.argo.dry_run


def test_every_problem_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    text = (
        GOOD.replace("namespace: argo", "nmespace: argo")
        .replace("bearer: ${ONBOARD_TOKEN}", "berer: x")
        .replace("name: email", "name: e mail")
        .replace("listen: 127.0.0.1:8080", "listen: 8080x")
    )
    found = problems(tmp_path, text)
    file = str(tmp_path / "bridge.yaml")
    assert f"{file}:3: argo.nmespace: unknown key; did you mean `namespace`?" in found[0]
    assert any(p.startswith(f"{file}:6: http.listen: '8080x' is not HOST:PORT") for p in found)
    assert any(
        p.startswith(
            f"{file}:13: triggers[0].on.webhook.auth.berer: unknown key; did you mean `bearer`"
        )
        for p in found
    )
    assert any(p.startswith(f"{file}:17: triggers[0].parameters[0].name: 'e mail'") for p in found)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "name: onboarding",
            "name: Onboarding",
            "triggers[0].name: 'Onboarding' is not a DNS-1123 label",
        ),
        ("name: onboarding", "name: " + "a" * 64, "is not a DNS-1123 label"),
        (
            "        auth:\n          bearer: ${ONBOARD_TOKEN}\n",
            "",
            "triggers[0].on.webhook.auth: required key is missing",
        ),
        ("bearer: ${ONBOARD_TOKEN}", "bearer: ''", "the secret is empty"),
        ("path: /hooks/onboarding", "path: hooks", "is not a URL path"),
        ("path: /hooks/onboarding", "path: /healthz", "the bridge's own endpoint"),
        ("from: body.employee.email", "from: body..email", "empty component"),
        ("from: body.employee.email", "from: body.*", "wildcards"),
        ("value: hr-portal", "value: {a: 1}", "a parameter value is text"),
        ("        from: body.employee.email\n", "", "give exactly one of `from`"),
        (
            "dedupKey: header.X-Request-Id",
            "dedupKey: header.x-request-id",
            "use header.X-Request-Id",
        ),
        ("server: https://argo-server.argo:2746", "server: argo:2746", "needs a scheme"),
        (
            "workflowTemplate: onboard-employee",
            "workflowTemplate: Bad_Name",
            "not a DNS-1123 label",
        ),
        (
            "    workflowTemplate: onboard-employee\n",
            "",
            "workflowTemplate: required key is missing",
        ),
        ("      webhook:", "      webhok:", "did you mean `webhook`"),
        ("method: POST", "", ""),  # placeholder row removed below
    ][:-1],
)
def test_bad_values_name_the_field_and_what_to_do(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found


def test_auth_none_must_be_written_out(tmp_path: Path) -> None:
    text = GOOD.replace("auth:\n          bearer: ${ONBOARD_TOKEN}", "auth: none")
    config = load_config(write(tmp_path, text), environ=ENV).config
    assert config.triggers[0].on.webhook is not None
    assert config.triggers[0].on.webhook.auth.none


@pytest.mark.parametrize(
    "auth",
    ["auth: off", "auth: {}", "auth: {bearer: x, hmac: {secret: y}}", "auth: {none: false}"],
)
def test_auth_must_choose_exactly_one(tmp_path: Path, auth: str) -> None:
    text = GOOD.replace("auth:\n          bearer: ${ONBOARD_TOKEN}", auth)
    found = problems(tmp_path, text)
    assert any("auth" in p for p in found), found


def test_hmac_defaults_are_githubs(tmp_path: Path) -> None:
    text = GOOD.replace("bearer: ${ONBOARD_TOKEN}", "hmac: {secret: s}")
    hook = load_config(write(tmp_path, text), environ=ENV).config.triggers[0].on.webhook
    assert hook is not None
    assert hook.auth.hmac is not None
    assert (hook.auth.hmac.header, hook.auth.hmac.prefix, hook.auth.hmac.algorithm) == (
        "X-Hub-Signature-256",
        "sha256=",
        "sha256",
    )


def test_missing_environment_variable_is_an_error_at_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD, env={"ARGO_TOKEN": "x"})
    assert found == [
        f"{tmp_path / 'bridge.yaml'}:13: triggers[0].on.webhook.auth.bearer: environment variable "
        "ONBOARD_TOKEN is not set; export it, or write $${ONBOARD_TOKEN} for a literal '${'"
    ]


def test_variable_fallback_and_escape(tmp_path: Path) -> None:
    text = GOOD.replace("https://argo-server.argo:2746", "${ARGO_SERVER:-}").replace(
        "value: hr-portal", "value: $${NOT_A_VAR}"
    )
    config = load_config(write(tmp_path, text), environ=ENV).config
    assert config.argo.dry_run
    assert config.triggers[0].parameters[1].value == "${NOT_A_VAR}"


def test_duplicate_keys_and_names_and_routes(tmp_path: Path) -> None:
    second = GOOD.split("triggers:\n", 1)[1]
    text = GOOD.replace("  namespace: argo\n", "  namespace: argo\n  namespace: other\n") + second
    found = problems(tmp_path, text)
    assert any(":4: argo.namespace: key given twice (first at line 3)" in p for p in found)
    assert any("trigger name 'onboarding' is already used by triggers[0]" in p for p in found)
    assert any("POST /hooks/onboarding is already served by triggers[0]" in p for p in found)


def test_tabs_and_syntax_errors_name_the_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "argo:\n\tserver: x\n")
    assert found[0].startswith(f"{tmp_path / 'bridge.yaml'}:2: invalid YAML")
    assert "tabs" in found[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("argo: {}\n", "add at least one trigger"),
        ("triggers: []\n", "add at least one trigger"),
    ],
)
def test_empty_and_misshapen_files(tmp_path: Path, text: str, expected: str) -> None:
    assert any(expected in p for p in problems(tmp_path, text))


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "absent.yaml")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_ARGO__TOKEN", "from-env")
    monkeypatch.setenv("BRIDGE_HTTP__LISTEN", "0.0.0.0:9000")
    config = load_config(write(tmp_path, GOOD), environ=ENV).config
    assert config.argo.token is not None
    assert config.argo.token.get_secret_value() == "from-env"
    assert config.http.listen == "0.0.0.0:9000"


def test_bad_environment_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_HTTP__LISTEN", "nope")
    found = problems(tmp_path, GOOD)
    assert found == [
        "environment: BRIDGE_HTTP__LISTEN: 'nope' is not HOST:PORT; write e.g. "
        "127.0.0.1:8080 or 0.0.0.0:8080"
    ]


def test_header_parameter_without_index_warns(tmp_path: Path) -> None:
    text = GOOD.replace("from: body.employee.email", "from: header.X-User")
    loaded = load_config(write(tmp_path, text), environ=ENV)
    assert [w.message for w in loaded.warnings] == [
        'header.X-User is the list of all values (e.g. ["abc"]); use header.X-User.0 for the first value'
    ]
