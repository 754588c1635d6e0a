"""One list of agents: the installed agents (``msp.agents`` entry points) are the declared ones, and
every place that still names them (the service folders, the chart, the compose file) agrees.

Adding an agent touches its folder (with the entry point in its ``pyproject.toml``),
``msp_events/agent_names.py``, the chart's ``values.yaml`` and ``docker-compose.yml``; everything
else (Makefile, infra scripts, replay, demo, trace, the order-independence contract) derives the list.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from msp_events import agents
from msp_events.registry import SERVICES

REPO = Path(__file__).resolve().parents[1]


def test_the_installed_agents_are_the_declared_ones_in_order() -> None:
    assert agents.names() == SERVICES
    for name, agent in agents.installed().items():
        app = agent.app()
        assert callable(app.create_service) and app.Settings().service_name == name


def test_every_service_folder_is_an_agent_and_every_agent_has_its_folder() -> None:
    folders = {p.parent.name for p in (REPO / "services").glob("*/pyproject.toml")}
    assert folders == set(SERVICES)


def test_the_chart_and_the_compose_file_run_every_agent() -> None:
    values = yaml.safe_load((REPO / "deploy" / "helm" / "msp-agents" / "values.yaml").read_text())
    assert list(values["services"]) == list(SERVICES)
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert set(SERVICES) <= set(compose["services"])
    text = (REPO / "docker-compose.yml").read_text()
    declared = next(line for line in text.splitlines() if "databases: &databases" in line)
    assert declared.split('"')[1].split() == list(SERVICES), "the databases PostgreSQL creates"
