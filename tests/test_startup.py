"""Start-up shortcuts (issue 12): they must read scenarios exactly as the slow paths did."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from sim.scenario import schema, yamlfile
from sim.scenario.keypaths import apply_overrides, copy_tree

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("tests/data/*.yaml")])


class _PurePython(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader with the scenario loader's resolvers (no timestamps)."""


_PurePython.yaml_implicit_resolvers = yamlfile._Loader.yaml_implicit_resolvers


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_c_parser_reads_what_the_python_parser_reads(path: Path) -> None:
    """Every shipped scenario parses to the same data with libyaml events as in pure Python."""
    if yaml.__with_libyaml__:
        assert issubclass(yamlfile._Loader, yaml.cyaml.CParser)
    text = path.read_text(encoding="utf-8")
    assert yamlfile._parse_yaml(text) == yaml.load(text, Loader=_PurePython)


def test_copy_tree_equals_deepcopy_and_shares_nothing_mutable() -> None:
    """copy_tree gives deepcopy's result: equal data, no dict or list shared with the input."""
    raw = schema.read_yaml(ROOT / "scenarios" / "baseline.yaml")
    copied = copy_tree(raw)
    assert copied == copy.deepcopy(raw)
    stack = [(raw, copied)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, dict | list):
            assert a is not b
            stack.extend(zip(a.values(), b.values(), strict=True) if isinstance(a, dict)
                         else zip(a, b, strict=True))


def test_copy_tree_keeps_alias_sharing_like_deepcopy() -> None:
    """A node shared through a YAML alias stays shared in the copy, as copy.deepcopy keeps it."""
    raw = yamlfile._parse_yaml("a: &x [1, 2]\nb: *x\n")
    copied = copy_tree(raw)
    assert copied["a"] is copied["b"] and copied["a"] is not raw["a"]


def test_overrides_leave_the_base_untouched() -> None:
    """apply_overrides changes only its copy: the base data keeps its value."""
    raw = schema.read_yaml(ROOT / "tests" / "data" / "tiny.yaml")
    changed = apply_overrides(raw, {"contributors.Alpha.pass_rate": 0.5})
    assert changed["contributors"][0]["pass_rate"] == 0.5
    assert raw["contributors"][0]["pass_rate"] == 0.75


def test_overrides_copy_only_the_paths_they_change() -> None:
    """Containers on an overridden path are new, the rest shared; the base keeps every value,
    also when a later override goes inside a value set by an earlier one."""
    raw = schema.read_yaml(ROOT / "tests" / "data" / "tiny.yaml")
    before = copy.deepcopy(raw)
    changed = apply_overrides(raw, {"contributors.Alpha.pass_rate": 0.5,
                                    "pipeline.assessment": {"teams": 3},
                                    "pipeline.assessment.teams": 4})
    assert raw == before
    assert changed["contributors"] is not raw["contributors"]
    assert changed["contributors"][0] is not raw["contributors"][0]
    assert changed["contributors"][1] is raw["contributors"][1]  # off the path: shared
    assert changed["missions"] is raw["missions"]
    assert changed["pipeline"]["assessment"] == {"teams": 4}
    assert changed == apply_overrides(copy_tree(raw), {"contributors.Alpha.pass_rate": 0.5,
                                                       "pipeline.assessment": {"teams": 4}})


def test_an_override_inside_a_yaml_alias_changes_its_own_path_only() -> None:
    """A node the file shares through an alias is copied on the overridden path: the other
    place that names it keeps its value (a deep copy would have changed both)."""
    raw = yamlfile._parse_yaml("a: &x {k: 1}\nb: *x\n")
    changed = apply_overrides(raw, {"a.k": 2})
    assert changed == {"a": {"k": 2}, "b": {"k": 1}} and raw == {"a": {"k": 1}, "b": {"k": 1}}


BAD_FILES = {
    "a bad base value and a bad variant": {
        "run.years": -1, "variants": {"v": {"set": {}, "extends": "x", "oops": 1}}},
    "an unknown top-level key": {"colour": "blue"},
    "variants not a mapping": {"variants": [1, 2]},
    "variants empty": {"variants": None},
    "a bad variant policy": {"variants": {"v": {"policies": [{"lever": "nope"}]}}},
    "a repeated name (a reference check)": {"missions.1.name": "North"},
}


@pytest.mark.parametrize("changes", BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_file_is_validated_as_the_scenario_file_schema_would(changes: dict[str, object]
                                                                ) -> None:
    """Base and variants validated apart (no ScenarioFile validator to build) report the same
    problems, in the same order, as validating the file against ScenarioFile."""
    raw = copy_tree(schema.read_yaml(ROOT / "tests" / "data" / "tiny.yaml"))
    for path, value in changes.items():
        if "." in path:
            raw = apply_overrides(raw, {path: value})
        else:
            raw[path] = value
    with pytest.raises(schema.ScenarioError) as whole:
        schema.validate(raw, "f.yaml", schema.ScenarioFile)
    with pytest.raises(schema.ScenarioError) as apart:
        schema._validated_file(raw, "f.yaml")
    assert apart.value.problems == whole.value.problems and apart.value.problems


def test_a_worker_imports_the_model_without_scipy_stats_yaml_or_parquet() -> None:
    """A worker process imports the model and the executor; scipy.stats (~0.5 s of a worker's
    start-up) is imported only when a scenario samples a non-uniform uncertainty, PyYAML
    (~8 ms) only where a file is read, Parquet (~8 ms) only where the parent writes it."""
    import subprocess
    import sys

    code = ("import sys, sim.experiments.executors as ex; ex.import_model(); "
            "print(*(m in sys.modules for m in ('scipy.stats', 'yaml', 'pyarrow.parquet')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def _model_defaults() -> list[tuple[str, BaseModel]]:
    """Every scenario field whose default is a section (a model instance), by key name."""
    from sim.scenario import casework, events, levers

    found = []
    for module in (schema, casework, events, levers):
        for name in dir(module):
            model = getattr(module, name)
            if isinstance(model, type) and issubclass(model, BaseModel):
                found += [(f"{model.__name__}.{field}", info.default)
                          for field, info in model.model_fields.items()
                          if isinstance(info.default, BaseModel)]
    return found


def test_section_defaults_equal_their_validated_selves() -> None:
    """The sections' defaults are built without validation (so that importing the schema builds
    no validator); each must equal, value for value and type for type, its validated self."""
    defaults = _model_defaults()
    assert len(defaults) >= 10
    for where, default in defaults:
        given = {key: getattr(default, key) for key in default.model_fields_set}
        again = type(default)(**given)  # as the default was written before: validated
        assert again == default, where
        assert repr(again.model_dump()) == repr(default.model_dump()), where
        assert again.model_fields_set == default.model_fields_set, where


def test_a_worker_builds_no_scenario_validator(tmp_path: Path) -> None:
    """Importing the model and running a task on a received scenario build none of the
    scenario's validators (~45 ms of a worker's start): only validating a file needs them."""
    import pickle
    import subprocess
    import sys

    received = tmp_path / "scenario.pickle"
    received.write_bytes(pickle.dumps(schema.load_scenario(ROOT / "tests/data/tiny.yaml").base))
    code = f"""
import pickle
from pathlib import Path
from sim.experiments.executors import TaskSpec, import_model, run_task
from sim.runs.folder import TABLES
from sim.scenario import schema
import_model()
built = lambda: [m.__name__ for m in (schema.Scenario, schema.Delay, schema.Mission)
                 if m.__pydantic_complete__]
print(built())
scenario = pickle.loads(Path({str(received)!r}).read_bytes())
run_task(TaskSpec("base", 0, 7, scenario, tuple(TABLES), store={str(tmp_path / "t")!r}))
print(built())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "[]"]
    assert schema.load_scenario(ROOT / "tests/data/tiny.yaml").base.pipeline.travel_delay.cv == 0.5


def test_a_worker_runs_a_task_without_importing_pandas(tmp_path: Path) -> None:
    """A worker imports the model, simulates and stores a task without pandas (~0.19 s of its
    ~0.46 s start): the model builds its tables as Arrow (``sim.model.columns``)."""
    import subprocess
    import sys

    code = f"""
import sys
from pathlib import Path
from sim.experiments.executors import TaskSpec, import_model, run_task
from sim.runs.folder import TABLES
from sim.scenario.schema import load_scenario
import_model()
scenario = load_scenario({str(ROOT / "tests/data/tiny.yaml")!r}).base
assert "pandas" not in sys.modules, "importing the model imported pandas"
out = run_task(TaskSpec("base", 0, 7, scenario, tuple(TABLES), store={str(tmp_path / "t")!r}))
assert out.stored and Path({str(tmp_path / "t")!r}).stat().st_size > 0
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_a_run_hands_out_its_first_tasks_before_importing_pandas(tmp_path: Path) -> None:
    """The parent submits the first tasks before it imports the summaries and pandas (~0.15 s
    that every worker's first task used to wait for), numpy and pyarrow (~55 ms: the run
    folder's module takes them through ``sim.lazy.module``); it imports them while the tasks
    run."""
    import subprocess
    import sys

    code = f"""
import sys
import sim.experiments.executors as ex
seen = {{}}
original = ex.Executor.imap_unordered
def imap(self, fn, items, submitted=None):
    def hook():
        seen["pandas"] = [m for m in ("pandas", "numpy", "pyarrow") if m in sys.modules]
        submitted()
    return original(self, fn, items, submitted=hook)
ex.Executor.imap_unordered = imap
import sim
sim.run({str(ROOT / "tests/data/tiny.yaml")!r}, replications=2, executor="serial",
        out={str(tmp_path / "r")!r}, plots=False)
print(seen["pandas"], "pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.split() == ["[]", "True"]


def test_the_manifests_git_and_versions_are_gathered_while_the_tasks_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Provenance: git and the versions are read in a thread started with the first tasks
    (not after the last task), once; without that thread, get() reads them itself."""
    import threading

    from sim.experiments import engine

    calls: list[str] = []
    monkeypatch.setattr(engine, "_git", lambda: calls.append(
        threading.current_thread().name) or {"commit": "c", "dirty": False})
    started = engine.Provenance()
    started.start()
    started.start()  # idempotent
    assert started.get() == started.get()
    assert calls == ["ppsim-provenance"]
    value = started.get()
    assert value["git"] == {"commit": "c", "dirty": False}
    assert {"python", "numpy", "pandas", "pyarrow", "simpy"} <= set(value["versions"])
    assert engine.Provenance().get()["versions"] == value["versions"]
    assert calls == ["ppsim-provenance", threading.current_thread().name]


def test_a_lazy_module_imports_at_first_use_and_takes_the_stand_ins_place() -> None:
    """``sim.lazy.module``: nothing is imported until an attribute is read; then the module
    replaces its stand-in, so later reads are plain module attribute reads."""
    import json
    import types

    from sim import lazy

    namespace: dict[str, object] = {}
    namespace["j"] = lazy.module("json", namespace, "j")
    assert not isinstance(namespace["j"], types.ModuleType)
    assert "imported when first used" in repr(namespace["j"])
    assert namespace["j"].dumps([1]) == "[1]"  # type: ignore[attr-defined]
    assert namespace["j"] is json


def test_the_clis_workers_do_not_import_the_cli(tmp_path: Path) -> None:
    """``ppsim run`` with 2 workers: only the parent imports ``cli`` (and click).

    A spawned worker runs its parent's main module again; the console script imports the CLI
    (~25-50 ms a worker), so the CLI renames its main module for them
    (``cli._workers_skip_the_cli``). ``-X importtime`` reaches the workers too (spawn passes
    the interpreter's ``-X`` options on), and prints one line per module a process imports.
    """
    import subprocess
    import sys

    script = Path(sys.executable).parent / "ppsim"
    done = subprocess.run([sys.executable, "-X", "importtime", str(script), "run",
                           str(ROOT / "tests/data/tiny.yaml"), "-n", "2", "-w", "2",
                           "--no-plots", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line]
    assert imported.count("cli") == 1
    assert imported.count("sim.experiments.executors") == 3  # the parent and both workers


def test_only_the_clis_own_main_module_is_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script or notebook that calls sim.run keeps its main module (its workers may need
    its functions); the CLI's console script (whose ``main`` is the command group) is renamed."""
    import types

    import cli

    users = types.ModuleType("__main__")
    users.main = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", users)
    cli._workers_skip_the_cli()
    assert getattr(users, "__spec__", None) is None
    script = types.ModuleType("__main__")
    script.main = cli.main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", script)
    cli._workers_skip_the_cli()
    assert script.__spec__ is not None and script.__spec__.name == cli.WORKER_MAIN_NAME
