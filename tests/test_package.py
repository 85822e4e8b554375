"""The package: every public name resolves, importing it is cheap (lazy submodules, no sympy for a
theory command), and the built sdist / wheel install and run in a fresh environment."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import asymptotics
from asymptotics import errors
from asymptotics.activations import REGISTRY_NAMES, get_activation


@pytest.mark.parametrize("name", asymptotics.__all__)
def test_every_public_name_resolves(name):
    obj = getattr(asymptotics, name)
    assert obj is getattr(sys.modules[f"asymptotics.{asymptotics._WHERE[name]}"], name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        asymptotics.not_a_name  # noqa: B018


def test_version_is_the_distribution_version():
    from importlib.metadata import version

    assert asymptotics.__version__ == version("twolayer-asymptotics")


def test_import_is_lazy():
    """``import asymptotics`` loads no submodule and neither sympy nor scipy."""
    code = ("import sys, asymptotics; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sympy', 'scipy', 'asymptotics')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['asymptotics']"


def test_error_hierarchy_is_exported():
    for name in ("AsymptoticsError", "InvalidParameterError", "ResourceError", "ExpressionError"):
        assert getattr(asymptotics, name) is getattr(errors, name)


# ------------------------------------------------------------------------------------------------
# Start-up: a theory command does not load sympy (registry activations carry what the float theory
# needs: numpy f and f', breakpoints, smoothness and the float of the Gaussian mean).

REPO = Path(__file__).resolve().parent.parent

_RISK_ONE_STEP = ["risk", "one-step", "--student", "tanh", "--teacher", "centered:relu", "--psi1", "2",
                  "--psi2", "2", "--lam", "1e-2", "--eta", "0,2", "--json"]


def test_theory_command_does_not_import_sympy():
    """``asym risk one-step`` with registry names: the CLI module, the command and the float
    Hermite constants of every registry activation run without sympy in ``sys.modules``."""
    code = (
        "import contextlib, io, json, sys\n"
        "from asymptotics.validation.cli import main\n"
        "loaded = ['sympy' in sys.modules]\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main({_RISK_ONE_STEP!r})\n"
        "loaded.append('sympy' in sys.modules)\n"
        "from asymptotics.activations import REGISTRY_NAMES\n"
        "from asymptotics.hermite import activation_breakpoints, activation_is_smooth, hermite_constants\n"
        "for name in REGISTRY_NAMES + tuple('centered:' + n for n in REGISTRY_NAMES):\n"
        "    hermite_constants(name), activation_breakpoints(name), activation_is_smooth(name)\n"
        "loaded.append('sympy' in sys.modules)\n"
        "print(json.dumps({'rc': rc, 'sympy_loaded': loaded, 'n_points': len(json.loads(out.getvalue()))}))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["rc"] == 0
    assert report["sympy_loaded"] == [False, False, False]


def test_expression_activation_still_loads_sympy_on_demand():
    """The other side of the lazy import: an expression, an exact coefficient and ``expr`` work."""
    code = (
        "import sys\n"
        "from asymptotics.activations import get_activation\n"
        "from asymptotics.hermite import hermite_coefficients\n"
        "a = get_activation('relu')\n"
        "before = 'sympy' in sys.modules\n"
        "print(before, a.expr, hermite_coefficients('relu', 1, digits=20).exact[1],\n"
        "      get_activation('tanh(z) + z**2').is_polynomial())\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert res.stdout.split() == ["False", "Max(0,", "z)", "1/2", "False"]


@pytest.mark.parametrize("name", REGISTRY_NAMES)
def test_registry_knows_what_sympy_says(name):
    """Breakpoints, smoothness and the float Gaussian mean carried by a registry entry (so that no
    sympy is needed) equal what the sympy expression gives: the kink reader of the exact route and
    the exact mean (or its 30-digit quadrature)."""
    from asymptotics import _hermite_exact
    from asymptotics.activations import _gaussian_mean_exact_or_float

    for spec in (name, f"centered:{name}"):
        act = get_activation(spec)
        assert act.breakpoints == _hermite_exact.breakpoints_of_expr(act.expr)
        assert act.smooth == _hermite_exact.is_smooth_expr(act.expr)
    act = get_activation(name)
    exact_mean = _gaussian_mean_exact_or_float(act)
    assert float(get_activation(f"centered:{name}")(0.0)) == float(act(0.0)) - float(exact_mean)
    assert get_activation(f"centered:{name}").expr == act.expr - exact_mean


def test_activation_is_frozen_hashable_and_copies():
    import copy

    a, b = get_activation("tanh"), get_activation("centered:relu")
    with pytest.raises(AttributeError):
        a.name = "relu"
    assert copy.deepcopy(b) == b and hash(copy.copy(b)) == hash(b)
    assert a != b and a == get_activation("TANH")
    assert repr(b) == "Activation(name='centered:relu')"
    # a hand-made activation with the same name and expression is the registry's
    from asymptotics.activations import Activation

    hand = Activation("tanh", a.expr, a.fn, a.dfn)
    assert hand == a and hash(hand) == hash(a)


# ------------------------------------------------------------------------------------------------
# The distribution, as CI builds it: sdist, wheel built from the unpacked sdist, wheel installed in a
# fresh virtual environment and smoke-tested there (~15 s).
#
# Frontend: ``python -m build`` (PyPA's reference frontend, in the test extra).  It builds the
# wheel *from the sdist*, so a file missing from the sdist breaks the wheel build; the sdist itself is
# built from a copy of the work tree without build products (a stale ``build/`` cannot leak in).  The build
# is isolated (setuptools fetched from the package index); with no index it falls back to the local
# setuptools (``--no-isolation``) and skips only when neither is available.  The venv reuses the
# installed numpy/scipy/sympy/... (``--system-site-packages``: nothing is downloaded), installs the
# wheel with ``--no-deps``, and every check runs from an empty working directory and asserts that
# ``asymptotics`` is the venv's copy, never the editable install of the work tree.

import os
import shutil
import tarfile
import tomllib
import zipfile


def _local_backend() -> bool:
    """setuptools that can build a wheel without fetching anything (bdist_wheel built in, or wheel)."""
    try:
        import setuptools
    except ImportError:
        return False
    if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) >= (70, 1):
        return True
    try:
        import wheel  # noqa: F401
    except ImportError:
        return False
    return True


def _index_reachable(scratch: Path) -> bool:
    res = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(scratch),
                          "setuptools>=64"], capture_output=True, text=True, timeout=120)
    return res.returncode == 0


def _modules(paths, prefix_map) -> set[str]:
    """Module paths as installed ("asymptotics/...py") of the .py files among ``paths``."""
    out = set()
    for p in paths:
        if not p.endswith(".py") or "__pycache__" in p:
            continue
        for src, dst in prefix_map:
            if p.startswith(src):
                out.add(dst + p[len(src):])
    return out


#: work-tree entries that are build products, outputs or caches, not sources: at the top level, and anywhere
_NOT_SOURCE_TOP = {".git", "build", "dist", "site", "results", "asym-demo"}
_NOT_SOURCE = shutil.ignore_patterns("*.egg-info", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", ".ruff_cache")


def _not_source(folder, names):
    return _NOT_SOURCE(folder, names) | (_NOT_SOURCE_TOP & set(names) if Path(folder) == REPO else set())


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """(sdist, wheel, venv python, venv purelib, empty cwd, source copy) of a fresh build and install."""
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.fail("the 'build' frontend is missing: it is in the test extra (pip install -e '.[test]')")
    root = tmp_path_factory.mktemp("dist")
    # a copy of the work tree without build products: no stale build/ or *.egg-info, and nothing is
    # written into the work tree (two test runs at once cannot race on it)
    src = root / "src"
    shutil.copytree(REPO, src, ignore=_not_source)
    out = root / "dist"
    cmd = [sys.executable, "-m", "build", "--outdir", str(out), str(src)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        if _local_backend():
            res = subprocess.run(cmd + ["--no-isolation"], capture_output=True, text=True, timeout=600)
        elif not _index_reachable(root / "probe"):
            pytest.skip("no package index for an isolated build and no local setuptools+wheel backend")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, timeout=120)
    py = venv / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    # pip from the system site-packages, running under the venv's interpreter: installs into the venv
    res = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--ignore-installed", "--no-index",
                          str(wheel)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    cwd = root / "empty"
    cwd.mkdir()
    return sdist, wheel, py, Path(purelib), cwd, src


def _run_in_venv(dist, *args, check=True):
    _, _, py, _, cwd, _ = dist
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    exe = args[0] if args[0] != "python" else str(py)
    if exe == "asym":
        exe = str(py.parent / ("asym.exe" if sys.platform == "win32" else "asym"))
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, cwd=cwd, env=env,
                          check=check, timeout=300)


def test_wheel_holds_every_module_of_the_source_tree(dist):
    """asymptotics/**.py and validation/**.py (as asymptotics/validation/**.py), nothing more: a
    subpackage missing from the package list or a stale file would show here.  No top-level
    ``validation`` package (that name belongs to an unrelated PyPI project)."""
    _, wheel, *_, src = dist
    names = zipfile.ZipFile(wheel).namelist()
    source = [p.relative_to(src).as_posix() for d in ("asymptotics", "validation") for p in (src / d).rglob("*.py")]
    expected = _modules(source, [("asymptotics/", "asymptotics/"), ("validation/", "asymptotics/validation/")])
    assert _modules(names, [("asymptotics/", "asymptotics/")]) == expected
    assert not [n for n in names if n.startswith("validation/")]
    top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    if top_level:  # written by setuptools
        assert zipfile.ZipFile(wheel).read(top_level[0]).decode().split() == ["asymptotics"]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "asym = asymptotics.validation.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_sdist_holds_sources_docs_tests_and_citation(dist):
    sdist, *_, src = dist
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for required in ("LICENSE", "CITATION.cff", "CHANGELOG.md", "README.md", "pyproject.toml", "setup.py",
                     "MANIFEST.in", "mkdocs.yml", "docs/index.md", "tests/test_package.py",
                     "validation/cli/__init__.py", "asymptotics/__init__.py"):
        assert required in names, required
    for folder in ("docs/", "tests/", "examples/"):
        tracked = {p.relative_to(src).as_posix() for p in (src / folder).rglob("*")
                   if p.is_file() and p.suffix in (".md", ".py", ".js", ".toml") and "__pycache__" not in p.parts}
        assert tracked <= names, sorted(tracked - names)[:5]


def test_installed_wheel_imports_and_runs(dist):
    """In the fresh venv: the package and a validation module import from the venv's site-packages,
    ``import validation`` does not find our code, and the console script runs a theory command."""
    purelib = dist[3]
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    code = ("import json, asymptotics, asymptotics.validation.one_step.simulation as sim; "
            "print(json.dumps([asymptotics.__file__, sim.__file__, asymptotics.__version__]))")
    files = json.loads(_run_in_venv(dist, "python", "-c", code).stdout)
    assert all(Path(f).resolve().is_relative_to(purelib.resolve()) for f in files[:2]), files
    assert files[2] == version
    # no top-level "validation" of ours (another project may own that name: then it is not in purelib)
    code = ("import importlib.util, json; s = importlib.util.find_spec('validation'); "
            "print(json.dumps(None if s is None else s.origin))")
    origin = json.loads(_run_in_venv(dist, "python", "-c", code).stdout)
    assert origin is None or not Path(origin).resolve().is_relative_to(purelib.resolve())
    assert _run_in_venv(dist, "asym", "--version").stdout.split() == ["asym", version]
    out = _run_in_venv(dist, "asym", *_RISK_ONE_STEP, check=False)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == 2
