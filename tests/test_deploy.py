"""The deployment files hold together: Dockerfile, docker compose, Kubernetes, systemd.

Structural checks that need no Docker daemon, no cluster and no systemd as
init: every YAML parses, every path the compose file mounts exists, images are
pinned, ports stay on loopback, the Kubernetes objects agree with each other
(probes, ports, labels, secrets, the config mount) and with the image, the
systemd units carry their hardening, and every command line any of them runs
is accepted by `tianyan`'s own argument parser, with a config that loads.
Where the real tool is installed (`kubectl kustomize`, `systemd-analyze`,
`docker` with a daemon) it is run as well; where it is not, that test is
skipped, never failed.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from monitor.cli import build_parser
from monitor.config import load_config
from site_map.loader import load_site_map

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
KUBERNETES = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

NAMESPACE = "tianyan"
PORT = 9847
CONFIG_DIR = "/etc/tianyan"

# Files the stack mounts that other parts of the project provide (the alert
# rules, Alertmanager's routing, Grafana's provisioning and the dashboards).
# They must exist for `docker compose up` to work: listed here, not guessed.
PROVIDED_ELSEWHERE = (
    "deploy/prometheus/prometheus.yml",
    "deploy/prometheus/rules",
    "deploy/alertmanager/alertmanager.yml",
    "deploy/grafana/provisioning/datasources",
    "deploy/grafana/provisioning/dashboards",
    "dashboards",
)
# Where the compose file mounts dashboards/ inside Grafana.
GRAFANA_DASHBOARDS = "/var/lib/grafana/dashboards/tianyan"

# Kubernetes Pod Security "restricted": what the namespace enforces.
K8S_KINDS = {
    "Namespace",
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "ServiceMonitor",
    "CronJob",
}
HARDENING = {
    "NoNewPrivileges": "true",
    "ProtectSystem": "strict",
    "PrivateTmp": "true",
    "ProtectHome": "true",
    "PrivateDevices": "true",
    "CapabilityBoundingSet": "",
}


# --- helpers -----------------------------------------------------------------------------


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _parse_command(argv: list[str]) -> Any:
    """The arguments as `tianyan` parses them (argparse exits on anything it refuses)."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's way of refusing
        pytest.fail(f"tianyan refuses {argv}: exit {exc.code}")


def _image_tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    assert ":" in name, f"{image}: no tag; pin a version"
    return name.split(":", 1)[1]


def _assert_pinned(image: str) -> None:
    tag = _image_tag(image)
    assert tag != "latest", f"{image}: pin a version, not latest"
    assert re.fullmatch(r"v?\d+(\.\d+)*([-.][\w.]+)?", tag), f"{image}: '{tag}' is not a version"


# --- Dockerfile ----------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\") if pending else stripped.removesuffix("\\")
        if stripped.endswith("\\"):
            continue
        keyword, _, rest = pending.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def _one(keyword: str) -> str:
    found = [rest for kw, rest in _final_stage() if kw == keyword]
    assert len(found) == 1, f"Dockerfile: expected one {keyword} in the final stage, got {found}"
    return found[0]


def test_dockerfile_base_user_port_healthcheck_and_command() -> None:
    for keyword, rest in _dockerfile():
        if keyword == "FROM":
            assert rest.split()[0] == "python:3.11-slim", rest
    user = _one("USER").split(":")[0]
    assert user.isdigit() and int(user) != 0, "a numeric non-root USER (runAsNonRoot checks it)"
    assert _one("EXPOSE").split() == [str(PORT)]
    healthcheck = _one("HEALTHCHECK")
    assert f"http://127.0.0.1:{PORT}/-/healthy" in healthcheck
    assert "curl" not in healthcheck and "wget" not in healthcheck, "the slim image has neither"
    assert json.loads(_one("ENTRYPOINT")) == ["tianyan"]
    command = json.loads(_one("CMD"))
    assert command == ["run", f"{CONFIG_DIR}/config.yml"]
    _parse_command(command)
    labels = _one("LABEL")
    assert "org.opencontainers.image.title" in labels
    assert "org.opencontainers.image.licenses" in labels


def test_dockerfile_installs_the_postgres_driver() -> None:
    """The deployments all use postgresql+psycopg://, which needs the `postgres` extra."""
    runs = " ".join(rest for keyword, rest in _dockerfile() if keyword == "RUN")
    assert re.search(r"pip install [\"']?\.\[postgres\]", runs), runs


def _dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a
    directory matches everything in it; `**/` also matches at the top."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw.removeprefix("!").strip("/")
        alternatives = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        if any(fnmatch.fnmatchcase(c, p) for c in candidates for p in alternatives):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_the_sources_and_drops_the_rest() -> None:
    patterns = _dockerignore_patterns()
    copied = [
        rest.split()[0:-1]
        for keyword, rest in _dockerfile()
        if keyword == "COPY" and not rest.startswith("--from")
    ]
    sources = [source for group in copied for source in group]
    assert sources, "the Dockerfile copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    # Everything `pip install .` reads: the readme and every package file.
    project = ROOT / "pyproject.toml"
    readme = re.search(r'^readme\s*=\s*"([^"]+)"', project.read_text(), re.MULTILINE)
    assert readme and readme.group(1) in sources
    for package in ("monitor", "site_map"):
        assert package in sources
        for file in (ROOT / package).rglob("*"):
            relative = file.relative_to(ROOT).as_posix()
            if file.is_file() and "__pycache__" not in relative:
                assert not _ignored(relative, patterns), f"{relative} would be missing"
    for unwanted in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/test_cli.py",
        "tests/fixtures/site_maps/good/campus.yaml",
        "demo-data/tianyan.sqlite",
        "monitor/__pycache__/cli.cpython-311.pyc",
        "__pycache__/x.pyc",
        ".pytest_cache/README.md",
        "tianyan.sqlite",
        "deploy/.env",
    ):
        assert _ignored(unwanted, patterns), f"{unwanted} would be sent to the build"


def _docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slow
def test_image_builds_and_runs_tianyan() -> None:
    """Only where Docker and its daemon are at hand (the build needs the package index)."""
    if not _docker_daemon():
        pytest.skip("no docker, or no daemon answering")
    tag = "tianyan:deploy-test"
    build = subprocess.run(
        ["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        run = subprocess.run(
            ["docker", "run", "--rm", "--network=none", tag, "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0 and "daily-report" in run.stdout, run.stderr[-2000:]
        user = subprocess.run(
            ["docker", "run", "--rm", "--network=none", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert user.stdout.strip() not in ("", "0"), user
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120)


# --- docker compose --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = _yaml(COMPOSE)
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def _mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every short-syntax volume entry."""
    mounts = []
    for entry in service.get("volumes", []):
        assert isinstance(entry, str), f"use the short volume syntax: {entry}"
        source, target = entry.split(":")[:2]
        mounts.append((source, target))
    return mounts


def _flags(command: list[str]) -> dict[str, str]:
    """`--name=value` (or a bare `--name`) flags of a server's command line."""
    pairs = (flag.lstrip("-").partition("=") for flag in command)
    return {name: value for name, _, value in pairs}


def _host_path(service: dict[str, Any], container_path: str) -> Path:
    """The repository file a bind mount shows at `container_path`."""
    for source, target in _mounts(service):
        if source.startswith((".", "/")) and (
            container_path == target or container_path.startswith(target.rstrip("/") + "/")
        ):
            return (DEPLOY / source / container_path[len(target) :].lstrip("/")).resolve()
    pytest.fail(f"{container_path} is not under any bind mount")


def test_compose_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "tianyan",
        "demo",
        "postgres",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    for name, service in compose["services"].items():
        assert "image" in service, f"{name}: no image"
        _assert_pinned(service["image"])
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == ROOT
            assert (context / service["build"].get("dockerfile", "Dockerfile")).is_file()
    assert _image_tag(compose["services"]["postgres"]["image"]) == "16"


def test_compose_mounts_exist(compose: dict[str, Any]) -> None:
    named = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for source, target in _mounts(service):
            assert target.startswith("/"), f"{name}: {target}"
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: mounts {source}, which is missing"
            else:
                assert source in named, f"{name}: volume {source} is not declared"
    for relative in PROVIDED_ELSEWHERE:
        assert (ROOT / relative).exists(), f"{relative}: expected from another part of the project"


def test_compose_publishes_on_loopback_only(compose: dict[str, Any]) -> None:
    published = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: write ports as HOST_IP:HOST:CONTAINER"
            assert port.startswith("127.0.0.1:"), f"{name}: {port} is not bound to loopback"
            published[name] = port
    assert published == {
        "tianyan": f"127.0.0.1:{PORT}:{PORT}",
        "demo": f"127.0.0.1:{PORT}:{PORT}",
        "grafana": "127.0.0.1:3000:3000",
    }


def test_compose_passwords_come_from_the_env_file(compose: dict[str, Any]) -> None:
    required: set[str] = set()
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                match = re.fullmatch(r"\$\{(\w+):\?[^}]+\}", str(value))
                assert match, f"{name}: {key} must be ${{VAR:?message}} from deploy/.env"
                required.add(match.group(1))
    text = COMPOSE.read_text(encoding="utf-8")
    required |= set(re.findall(r"\$\{(\w+):\?", text))
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert required <= defined, f"deploy/env.example lacks {required - defined}"


def test_compose_monitor(compose: dict[str, Any], tmp_path: Path) -> None:
    service = compose["services"]["tianyan"]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in compose["services"]["postgres"]["healthcheck"]["test"]
    assert service.get("read_only") is True and "/tmp" in service.get("tmpfs", [])
    args = _parse_command(service["command"])
    assert args.command == "run"
    config_file = _host_path(service, args.config)
    assert config_file == DEPLOY / "config" / "tianyan.yml"
    config = load_config(config_file)
    assert config.listen == ("0.0.0.0", PORT), "the container's port must answer from outside"
    assert config.database_url == "postgresql+psycopg://tianyan@postgres/tianyan"
    environ = {k: "x" for k in service["environment"]}
    load_site_map(config.site_map_path, environ=environ)  # every password variable is passed


def test_compose_demo_profile(compose: dict[str, Any]) -> None:
    demo = compose["services"]["demo"]
    assert demo["profiles"] == ["demo"]
    args = _parse_command(demo["command"])
    assert args.command == "demo" and args.listen == f"0.0.0.0:{PORT}"
    # Prometheus scrapes `tianyan`: the demo answers under that name.
    assert "tianyan" in demo["networks"]["default"]["aliases"]
    assert {"prometheus", "grafana"} <= set(demo["depends_on"])
    assert args.dir.startswith("/tmp/") and "/tmp" in demo["tmpfs"]


def test_compose_prometheus_alertmanager_grafana_wiring(compose: dict[str, Any]) -> None:
    """The compose file and the files it mounts agree on names, ports and paths."""
    services = compose["services"]
    prometheus = services["prometheus"]
    flags = _flags(prometheus["command"])
    config_path = _host_path(prometheus, flags["config.file"])
    config = _yaml(config_path)
    targets = [
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    ]
    assert f"tianyan:{PORT}" in targets, "Prometheus must scrape the monitor by its service name"
    alertmanagers = [
        target
        for manager in config["alerting"]["alertmanagers"]
        for static in manager.get("static_configs", [])
        for target in static["targets"]
    ]
    assert "alertmanager:9093" in alertmanagers
    rule_files = config.get("rule_files", [])
    assert rule_files, "prometheus.yml loads no rules"
    for pattern in rule_files:
        host_pattern = (
            _host_path(prometheus, pattern)
            if pattern.startswith("/")
            else config_path.parent / pattern
        )
        assert list(host_pattern.parent.glob(host_pattern.name)), f"{pattern} matches no file"

    alertmanager = services["alertmanager"]
    flags = _flags(alertmanager["command"])
    am_config = _yaml(_host_path(alertmanager, flags["config.file"]))
    for pattern in am_config.get("templates", []):
        host_pattern = _host_path(alertmanager, pattern)
        assert list(host_pattern.parent.glob(host_pattern.name)), f"{pattern} matches no file"

    grafana = services["grafana"]
    assert ("../dashboards", GRAFANA_DASHBOARDS) in _mounts(grafana)
    provisioning = _host_path(grafana, "/etc/grafana/provisioning")
    datasources = [
        source
        for file in sorted((provisioning / "datasources").glob("*.y*ml"))
        for source in _yaml(file).get("datasources", [])
    ]
    urls = {source.get("url") for source in datasources if source.get("type") == "prometheus"}
    assert "http://prometheus:9090" in urls, urls
    paths = [
        provider.get("options", {}).get("path", "")
        for file in sorted((provisioning / "dashboards").glob("*.y*ml"))
        for provider in _yaml(file).get("providers", [])
    ]
    assert any(path.rstrip("/") == GRAFANA_DASHBOARDS for path in paths), paths
    assert list((ROOT / "dashboards").glob("*.json")), "no dashboard to provision"


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return _yaml(KUBERNETES / "kustomization.yaml")


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    """Every object of deploy/kubernetes by kind (one of each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is None:
                continue
            for key in ("apiVersion", "kind", "metadata"):
                assert key in document, f"{path.name}: no {key}"
            assert document["metadata"].get("name"), f"{path.name}: no metadata.name"
            kind = document["kind"]
            assert kind not in found, f"two {kind} objects"
            found[kind] = document
    return found


def test_kubernetes_objects_and_kustomization(
    objects: dict[str, dict[str, Any]], kustomization: dict[str, Any]
) -> None:
    assert set(objects) == K8S_KINDS
    for kind, obj in objects.items():
        if kind == "Namespace":
            assert obj["metadata"]["name"] == NAMESPACE
        else:
            assert obj["metadata"].get("namespace") == NAMESPACE, kind
    files = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    assert kustomization["namespace"] == NAMESPACE
    assert objects["ServiceMonitor"]["apiVersion"] == "monitoring.coreos.com/v1"
    assert objects["CronJob"]["apiVersion"] == "batch/v1"


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    template = obj["spec"]["template"] if obj["kind"] == "Deployment" else None
    if template is None:
        template = obj["spec"]["jobTemplate"]["spec"]["template"]
    return template["spec"]


def _pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    if obj["kind"] == "Deployment":
        return obj["spec"]["template"]["metadata"]["labels"]
    return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize("kind", ["Deployment", "CronJob"])
def test_kubernetes_pods_are_restricted(objects: dict[str, dict[str, Any]], kind: str) -> None:
    pod = _pod(objects[kind])
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] != 0
    assert str(security["runAsUser"]) == _one("USER").split(":")[0], "the image's user"
    assert security["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod.get("automountServiceAccountToken") is False
    (container,) = pod["containers"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"]["drop"] == ["ALL"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "a writable /tmp beside the read-only root"
    assert (
        volumes[mounts[CONFIG_DIR]]["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]
    )
    assert "requests" in container["resources"]
    assert "memory" in container["resources"]["limits"]
    _assert_pinned(container["image"])


@pytest.mark.parametrize("kind", ["Deployment", "CronJob"])
def test_kubernetes_commands_parse_and_their_secrets_exist(
    objects: dict[str, dict[str, Any]], kind: str
) -> None:
    (container,) = _pod(objects[kind])["containers"]
    assert "command" not in container, "the image's entrypoint is tianyan"
    env = {variable["name"]: variable for variable in container["env"]}
    secret = objects["Secret"]
    for variable in env.values():
        reference = variable.get("valueFrom", {}).get("secretKeyRef")
        if reference:
            assert reference["name"] == secret["metadata"]["name"]
            assert reference["key"] in secret["stringData"], reference
    for name in re.findall(r"\$\((\w+)\)", " ".join(container["args"])):
        assert name in env, f"{kind}: $({name}) is not in the container's env"
    args = _parse_command([re.sub(r"\$\(\w+\)", "URL", a) for a in container["args"]])
    assert args.config == f"{CONFIG_DIR}/config.yml"
    expected = {"Deployment": "run", "CronJob": "daily-report"}[kind]
    assert args.command == expected
    assert args.database == "URL", "the database URL (with its password) comes from the Secret"


def test_kubernetes_deployment_probes_service_and_scrape(
    objects: dict[str, dict[str, Any]],
) -> None:
    deployment, service = objects["Deployment"], objects["Service"]
    assert deployment["spec"]["replicas"] == 1, "the monitor is a singleton"
    assert deployment["spec"]["strategy"]["type"] == "Recreate", "never two monitors at once"
    (container,) = _pod(deployment)["containers"]
    (port,) = container["ports"]
    assert port["containerPort"] == PORT and port["name"] == "metrics"
    (service_port,) = service["spec"]["ports"]
    assert service_port["name"] == "metrics" and service_port["port"] == PORT
    assert service_port["targetPort"] in (port["name"], port["containerPort"])
    probes = {name: container[name] for name in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert probes["startupProbe"]["httpGet"]["path"] == "/-/healthy"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    for probe in probes.values():
        assert probe["httpGet"]["port"] in (service_port["targetPort"], port["containerPort"])
    labels = _pod_labels(deployment)
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    cronjob_labels = _pod_labels(objects["CronJob"])
    assert not service["spec"]["selector"].items() <= cronjob_labels.items(), (
        "the Service must not send traffic to the daily report's pods"
    )
    monitor = objects["ServiceMonitor"]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert NAMESPACE in monitor["spec"]["namespaceSelector"]["matchNames"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service_port["name"] and endpoint["path"] == "/metrics"
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "tianyan"


def test_kubernetes_scrape_matches_prometheus_yml(objects: dict[str, dict[str, Any]]) -> None:
    """The alert rules' `for:` durations assume the compose stack's scrape interval:
    the Prometheus Operator must scrape the same way."""
    config = _yaml(DEPLOY / "prometheus" / "prometheus.yml")
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "tianyan"]
    interval = job.get("scrape_interval", config["global"].get("scrape_interval"))
    timeout = job.get("scrape_timeout", config["global"].get("scrape_timeout", "10s"))
    (endpoint,) = objects["ServiceMonitor"]["spec"]["endpoints"]
    assert (endpoint["interval"], endpoint["scrapeTimeout"]) == (interval, timeout)
    assert endpoint["path"] == job.get("metrics_path", "/metrics")


def test_kubernetes_cronjob_schedule(objects: dict[str, dict[str, Any]]) -> None:
    spec = objects["CronJob"]["spec"]
    assert spec["schedule"] == "0 8 * * *"
    assert spec["timeZone"] == "Asia/Shanghai"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert _pod(objects["CronJob"])["restartPolicy"] in ("Never", "OnFailure")


def test_kubernetes_config_loads(objects: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """The ConfigMap's config and site map are what `tianyan run` accepts, with the
    Secret's variables as the only passwords."""
    data = objects["ConfigMap"]["data"]
    for name, text in data.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "config.yml")
    assert config.listen == ("0.0.0.0", PORT)
    assert config.site_map_path.name in data
    for kind in ("Deployment", "CronJob"):
        (container,) = _pod(objects[kind])["containers"]
        environ = {variable["name"]: "x" for variable in container["env"]}
        load_site_map(config.site_map_path, environ=environ)


def test_kubernetes_kustomize_renders(kustomization: dict[str, Any]) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in rendered} == K8S_KINDS
    (image,) = kustomization["images"]
    for document in rendered:
        if document["kind"] in ("Deployment", "CronJob"):
            (container,) = _pod(document)["containers"]
            assert container["image"] == f"{image['newName']}:{image['newTag']}"


# --- systemd -------------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, empty_lines_in_values=False
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(SYSTEMD / name, encoding="utf-8")
    return parser


def test_systemd_units_parse() -> None:
    names = sorted(p.name for p in SYSTEMD.iterdir() if p.suffix in (".service", ".timer"))
    assert names == [
        "tianyan-daily-report.service",
        "tianyan-daily-report.timer",
        "tianyan.service",
    ]
    for name in names:
        assert _unit(name).has_section("Unit"), name


@pytest.mark.parametrize(
    ("name", "command"),
    [("tianyan.service", "run"), ("tianyan-daily-report.service", "daily-report")],
)
def test_systemd_services(name: str, command: str) -> None:
    service = _unit(name)["Service"]
    assert service["User"] == "tianyan"
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/opt/tianyan/.venv/bin/tianyan"
    args = _parse_command(argv[1:])
    assert args.command == command and args.config == f"{CONFIG_DIR}/config.yml"
    for key, value in HARDENING.items():
        assert service.get(key) == value, f"{name}: {key}={service.get(key)}"
    assert "/var/lib/tianyan" in service["ReadWritePaths"].split()
    assert service["EnvironmentFile"].lstrip("-") == f"{CONFIG_DIR}/tianyan.env"
    if command == "run":
        assert service["Restart"] == "on-failure"
        assert service["LimitNOFILE"] == "1048576"
        assert _unit(name)["Install"]["WantedBy"] == "multi-user.target"
    else:
        assert service["Type"] == "oneshot"


def test_systemd_timer() -> None:
    timer = _unit("tianyan-daily-report.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 08:00:00 Asia/Shanghai"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "tianyan-daily-report.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_env_example_names_the_site_map_passwords() -> None:
    example = (SYSTEMD / "tianyan.env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    site_map = (DEPLOY / "config" / "site-map.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"password_env:\s*(\w+)", site_map)) <= defined


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own parser, with ExecStart pointed at a stand-in (the real path
    exists only on an installed host)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    stand_in = tmp_path / "tianyan"
    stand_in.write_text("#!/bin/sh\n", encoding="utf-8")
    stand_in.chmod(0o755)
    units = []
    for path in sorted(SYSTEMD.iterdir()):
        if path.suffix in (".service", ".timer"):
            text = path.read_text(encoding="utf-8")
            (tmp_path / path.name).write_text(
                text.replace("/opt/tianyan/.venv/bin/tianyan", str(stand_in)), encoding="utf-8"
            )
            units.append(str(tmp_path / path.name))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    output = result.stdout + result.stderr
    ours = [line for line in output.splitlines() if "tianyan" in line]
    # systemd warns (and exits 0) for unknown keys and bad values: any line about our units fails.
    assert not ours, "\n".join(ours)
    if result.returncode != 0:
        pytest.skip(f"systemd-analyze cannot verify here: {output.strip()[:300]}")
    calendar = subprocess.run(
        [analyze, "calendar", _unit("tianyan-daily-report.timer")["Timer"]["OnCalendar"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert calendar.returncode == 0, calendar.stderr
    assert "Asia/Shanghai" in calendar.stdout
