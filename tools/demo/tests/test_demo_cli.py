"""``make demo`` runs the issue's size by default: a fixed seed, 40 clients x 12 months."""

from __future__ import annotations

import inspect
from pathlib import Path

from msp_demo import cli, scenario


def test_the_default_run_is_40_clients_over_12_months_with_a_fixed_seed() -> None:
    defaults = {name: p.default for name, p in inspect.signature(cli.main_command).parameters.items()}
    assert (defaults["clients"], defaults["months"], defaults["seed"]) == (40, 12, scenario.DEFAULT_SEED)
    assert (defaults["out"], defaults["state"]) == (Path("out/demo"), Path(".demo"))
    params = scenario.params_for(defaults["seed"], defaults["clients"], defaults["months"])
    assert params.technicians == 8  # the simulator's calibrated 1 technician per 5 clients


def test_make_demo_calls_msp_demo() -> None:
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert ".venv/bin/msp-demo $(ARGS)" in recipe
