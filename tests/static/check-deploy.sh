#!/usr/bin/env bash
# Checks the deployment files without a Docker engine: docker-compose.yml, the Dockerfiles it builds,
# the files it mounts and the Grafana dashboards.
#
# Usage: tests/static/check-deploy.sh
#
# Debian's docker-compose package (installed when missing) validates docker-compose.yml with
# `docker-compose config -q`. A structural check in Python then checks that every service has an image or
# a build, and that every Dockerfile, build context, COPY or ADD source and mounted host path exists. It
# also parses every YAML file under deploy/ and every dashboard. The telemetry checks then look at what
# `docker compose up` relies on: the services and their start conditions, a scalable worker, Grafana's
# anonymous viewing and datasource, the collector and Prometheus ports, and docs/telemetry.md listing every
# dashboard panel with its query. Prints one line per check and exits with 1 when any fails.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

# shellcheck source=scripts/prerequisites.sh
source scripts/prerequisites.sh

# Prints a Python 3 interpreter that can import yaml, installing Debian's python3-yaml when none can.
find_python_with_yaml() {
    local python
    for python in python3 /usr/bin/python3; do
        if command -v "$python" >/dev/null && "$python" -c 'import yaml' 2>/dev/null; then
            echo "$python"
            return 0
        fi
    done
    ensure_apt_packages python3 python3-yaml >&2 || return 1
    echo /usr/bin/python3
}

failed=0

ensure_apt_packages docker-compose
if ! docker-compose version >/dev/null 2>&1; then
    # A docker-compose that cannot run cannot judge the file, so the structural check below decides alone.
    echo "skipped: docker-compose config, because 'docker-compose version' failed; the structural check still runs"
elif output=$(docker-compose -f docker-compose.yml config -q 2>&1); then
    echo "ok: docker-compose -f docker-compose.yml config -q ($(docker-compose version --short 2>/dev/null))"
else
    echo "FAILED: docker-compose -f docker-compose.yml config -q:"
    echo "$output" | sed 's/^/    /'
    failed=1
fi

python=$(find_python_with_yaml)
"$python" - <<'EOF' || failed=1
import glob
import json
import os
import re
import shlex
import sys

import yaml

failures = 0


def report(ok, message):
    global failures
    print(("ok: " if ok else "FAILED: ") + message)
    if not ok:
        failures += 1


def dockerfile_instructions(path):
    """Yields (line number, instruction, arguments) with continuation lines joined and comments dropped."""
    pending, start = "", 0
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if not pending:
                start = number
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            text = pending + stripped
            pending = ""
            instruction, _, arguments = text.partition(" ")
            yield start, instruction.upper(), arguments.strip()


def copy_sources(arguments):
    """Returns the source paths of a COPY or ADD, or None when it copies from another stage or image."""
    if arguments.startswith("["):
        words = json.loads(arguments)
    else:
        words = shlex.split(arguments)
    flags = [word for word in words if word.startswith("--")]
    paths = [word for word in words if not word.startswith("--")]
    if any(flag.startswith("--from=") for flag in flags):
        return None
    return paths[:-1]


def check_dockerfile(dockerfile, context):
    report(os.path.isfile(dockerfile), f"{dockerfile} exists")
    if not os.path.isfile(dockerfile):
        return
    for number, instruction, arguments in dockerfile_instructions(dockerfile):
        if instruction not in ("COPY", "ADD"):
            continue
        sources = copy_sources(arguments)
        if sources is None:
            continue
        for source in sources:
            if re.match(r"^[a-z]+://", source):
                continue
            matches = glob.glob(os.path.join(context, source))
            report(bool(matches), f"{dockerfile}:{number}: {instruction} source '{source}' exists in context '{context}'")


with open("docker-compose.yml", encoding="utf-8") as file:
    compose = yaml.safe_load(file)

services = compose.get("services") or {}
report(bool(services), "docker-compose.yml defines services")
declared_volumes = set((compose.get("volumes") or {}).keys())

for name, service in services.items():
    has_image, build = "image" in service, service.get("build")
    report(has_image or build is not None, f"service {name} has an image or a build")

    if build is not None:
        if isinstance(build, str):
            build = {"context": build}
        context = os.path.normpath(build.get("context", "."))
        report(os.path.isdir(context), f"service {name}: build context '{context}' exists")
        dockerfile = os.path.normpath(os.path.join(context, build.get("dockerfile", "Dockerfile")))
        check_dockerfile(dockerfile, context)

    for volume in service.get("volumes") or []:
        source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
        if source.startswith((".", "/", "~")):
            report(os.path.exists(os.path.expanduser(source)), f"service {name}: mounted host path '{source}' exists")
        else:
            report(source in declared_volumes, f"service {name}: volume '{source}' is declared under volumes")

    depends_on = service.get("depends_on") or []
    for dependency in depends_on if isinstance(depends_on, list) else depends_on.keys():
        report(dependency in services, f"service {name}: depends_on '{dependency}' is a service")

for path in sorted(glob.glob("deploy/**/*.yaml", recursive=True) + glob.glob("deploy/**/*.yml", recursive=True)):
    try:
        with open(path, encoding="utf-8") as file:
            yaml.safe_load(file)
        report(True, f"{path} parses as YAML")
    except yaml.YAMLError as error:
        report(False, f"{path} parses as YAML: {error}")

dashboards = sorted(glob.glob("deploy/grafana/dashboards/*.json"))
report(bool(dashboards), "deploy/grafana/dashboards has a dashboard")
for path in dashboards:
    try:
        with open(path, encoding="utf-8") as file:
            dashboard = json.load(file)
    except json.JSONDecodeError as error:
        report(False, f"{path} parses as JSON: {error}")
        continue
    report(isinstance(dashboard.get("title"), str) and isinstance(dashboard.get("panels"), list),
           f"{path} parses as JSON and has a title and a panels list")

# The telemetry stack of docker-compose.yml.
for name in ("postgres", "api", "worker", "otel-collector", "prometheus", "grafana"):
    report(name in services, f"docker-compose.yml has a service {name}")

report("healthcheck" in (services.get("postgres") or {}), "service postgres has a health check")
for name, service in services.items():
    depends_on = service.get("depends_on") or {}
    report(isinstance(depends_on, dict) and all(isinstance(d, dict) and "condition" in d for d in depends_on.values()),
           f"service {name}: every depends_on entry has a condition")

worker = services.get("worker") or {}
report("container_name" not in worker and not worker.get("ports"),
       "service worker has no container_name and no published ports, so --scale worker=N works")

grafana_environment = (services.get("grafana") or {}).get("environment") or {}
report(str(grafana_environment.get("GF_AUTH_ANONYMOUS_ENABLED", "")).lower() == "true",
       "service grafana allows anonymous viewing")

for name in ("api", "worker"):
    environment = (services.get(name) or {}).get("environment") or {}
    report(str(environment.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")).startswith("http://otel-collector:4317"),
           f"service {name} exports OTLP to otel-collector:4317")

with open("deploy/otel-collector.yaml", encoding="utf-8") as file:
    collector = yaml.safe_load(file)
collector_endpoint = (collector.get("exporters", {}).get("prometheus") or {}).get("endpoint", "")
with open("deploy/prometheus.yml", encoding="utf-8") as file:
    prometheus_config = yaml.safe_load(file)
scrape_targets = [target for job in prometheus_config.get("scrape_configs") or []
                  for static in job.get("static_configs") or [] for target in static.get("targets") or []]
collector_port = collector_endpoint.rsplit(":", 1)[-1]
report(f"otel-collector:{collector_port}" in scrape_targets,
       f"deploy/prometheus.yml scrapes the collector's Prometheus exporter on port {collector_port or '(none)'}")

datasource_uids = set()
for path in glob.glob("deploy/grafana/provisioning/datasources/*.yaml"):
    with open(path, encoding="utf-8") as file:
        datasource_uids.update(d.get("uid") for d in (yaml.safe_load(file) or {}).get("datasources") or [])

docs_path = "docs/telemetry.md"
docs = open(docs_path, encoding="utf-8").read() if os.path.isfile(docs_path) else ""
report(bool(docs), f"{docs_path} exists")
dashboard_titles = set()


def panel_list(panels):
    for panel in panels:
        yield panel
        yield from panel_list(panel.get("panels") or [])


for path in dashboards:
    with open(path, encoding="utf-8") as file:
        dashboard = json.load(file)
    dashboard_titles.add(dashboard.get("title"))
    for panel in panel_list(dashboard.get("panels") or []):
        if panel.get("type") == "row":
            continue
        title = panel.get("title", "")
        uid = (panel.get("datasource") or {}).get("uid")
        report(uid in datasource_uids, f"{path}: panel '{title}' uses a provisioned datasource ({uid})")
        targets = panel.get("targets") or []
        report(bool(targets) and all(t.get("expr") for t in targets), f"{path}: panel '{title}' has a query in every target")
        report(f"| {title} |" in docs, f"{docs_path} lists panel '{title}'")
        for target in targets:
            expr = target.get("expr", "")
            report(f"`{expr}`" in docs, f"{docs_path} lists the query of '{title}' [{target.get('refId')}]")

for title in ("Training", "Queue"):
    report(title in dashboard_titles, f"deploy/grafana/dashboards has the {title} dashboard")

sys.exit(1 if failures else 0)
EOF

if [ "$failed" -ne 0 ]; then
    echo "check-deploy: some checks failed; see the FAILED lines above"
    exit 1
fi
echo "check-deploy: all checks passed"
