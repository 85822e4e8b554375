"""The package layout is part of the interface: theory pure, one subpackage per family, roles by name.

For each family a reader finds its theory (``asymptotics.<family>``), its simulation, its comparison
with the theory and its figures (``asymptotics.validation.<family>.{simulation,comparison,figures}``);
the shared machinery sits beside them.  These tests keep it so.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: family -> (theory subpackage, simulation subpackage)
FAMILIES = {
    "one step (Ba et al.)": ("one_step", "one_step"),
    "giant step / spiked RF (Cui et al.)": ("spiked_rf", "giant_step"),
    "kernel regime (Nichani et al.)": ("kernels", "kernels"),
}
ROLES = ("simulation", "comparison", "figures")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_has_theory_simulation_comparison_figures(family):
    theory, sim = FAMILIES[family]
    assert (ROOT / "asymptotics" / theory / "theory.py").is_file()
    missing = [role for role in ROLES if not (ROOT / "validation" / sim / f"{role}.py").is_file()]
    assert not missing, f"{family}: no validation/{sim}/{{{', '.join(missing)}}}.py"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_theory_is_pure():
    """No module of the theory imports the simulation package, a plotting or a dataframe library."""
    forbidden = ("asymptotics.validation", "matplotlib", "pandas", "dask", "subprocess", "multiprocessing")
    offenders = []
    for path in (ROOT / "asymptotics").rglob("*.py"):
        if path.name == "__main__.py":  # `python -m asymptotics` is the command line by design
            continue
        for mod in _imports(path):
            if mod.startswith(forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not offenders, offenders


def test_nothing_imports_a_top_level_validation_package():
    """The folder validation/ installs as asymptotics.validation; `import validation` would find the
    unrelated package of that name (or nothing) once installed."""
    offenders = []
    for folder in ("asymptotics", "validation", "tests", "benchmarks", "docs"):
        for path in (ROOT / folder).rglob("*.py"):
            for mod in _imports(path):
                if mod == "validation" or mod.startswith("validation."):
                    offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not offenders, offenders


def test_theory_import_loads_no_simulation_code():
    code = ("import sys, asymptotics.one_step, asymptotics.spiked_rf, asymptotics.kernels; "
            "bad = sorted(m for m in sys.modules if m.startswith(('asymptotics.validation', 'matplotlib'))); "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
