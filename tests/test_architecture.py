"""The package's layers (DESIGN.md §2) and the light start-up they make possible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contracts_hold() -> None:
    """import-linter: each layer imports only those below it; the engine never draws figures."""
    done = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout


def _modules_after(code: str) -> set[str]:
    """Top-level modules imported by a fresh interpreter after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_cli_start_imports_no_heavy_library() -> None:
    """``ppsim --help``, completion and ``check`` import neither pandas, numpy nor matplotlib."""
    loaded = _modules_after("import cli")
    assert not loaded & {"pandas", "numpy", "matplotlib", "simpy", "dask", "pyarrow", "scipy"}


def test_import_sim_is_lazy() -> None:
    """``import sim`` costs nothing until an API function is used."""
    loaded = _modules_after("import sim")
    assert not loaded & {"pandas", "numpy", "matplotlib", "simpy", "pydantic"}


def test_scenario_check_needs_no_numerics() -> None:
    """Validating a scenario imports the schema layer only (no numpy, simpy, pandas)."""
    loaded = _modules_after("import sim; sim.load_scenario('tests/data/tiny.yaml')")
    assert not loaded & {"pandas", "numpy", "matplotlib", "simpy"}


def test_worker_imports_no_plotting() -> None:
    """A worker's task (model + task encoding) never imports matplotlib."""
    loaded = _modules_after(
        "from sim.experiments.executors import run_task\n"
        "import sys; assert 'matplotlib' not in sys.modules")
    assert "matplotlib" not in loaded


def test_public_api_names_resolve() -> None:
    """Every name in ``sim.__all__`` resolves (lazily) to an object."""
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None
