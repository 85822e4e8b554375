"""Mutation testing of the formula modules: does the default test suite notice a broken formula?

The repository is copied to a temporary directory (the working tree is never modified); one mutant
at a time is written into the copy and the module's fast tests are run there with ``-x -q``.  A
mutant is *killed* when the tests fail (or the module no longer imports), *survived* when they
pass, *timeout* when they run longer than ``--timeout`` seconds.

Mutation operators (found with :mod:`ast`, applied by replacing the node's source segment):

* ``const``: a float constant c → 1.02·c (a 2 % error); an int constant k → k + 1 (0 → 1, 2 → 3);
* ``binop``: + ↔ −, * ↔ /, ** → * ;
* ``sqrt``: ``sqrt(x)`` (math / numpy) → ``x``;
* ``neg``: unary minus removed (−x → x);
* ``swap``: the two positional arguments of a two-argument call to a module-level function of the
  same module are swapped (``f(a, b)`` → ``f(b, a)``).

Skipped as not formula code: docstrings and other strings, f-strings, ``raise`` / ``assert``
statements, decorator arguments, default values of keyword parameters, keyword arguments named
like tolerances / iteration budgets (``tol``, ``maxiter``, ``nodes``…), ``__all__``.  When a module
has more candidates than ``--max-per-module``, a fixed seeded subset is drawn (``--seed``).

Usage (one BLAS thread; the report is written as JSON + Markdown)::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python3 benchmarks/mutation.py --out results/mutation
    python3 benchmarks/mutation.py --modules validation/one_step/network.py --max-per-module 10
    python3 benchmarks/mutation.py --list          # candidates only, nothing is run

Extra named mutants (``--named``) check specific bugs: the one-step update scaled by √d instead of
√N, and the Gaussian-equivalent μ* multiplied by 1.3; each is run against the *whole* default
suite of its module's test files.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Module → the fast test files that guard it (run with ``-x``; the module's doctests are added).
TESTS: dict[str, list[str]] = {
    "asymptotics/one_step/theory.py": ["tests/test_sensitivity_theory.py", "tests/test_onestep.py"],
    "asymptotics/ridge.py": ["tests/test_sensitivity_theory.py", "tests/test_ridge.py", "tests/test_onestep.py"],
    "asymptotics/spiked_rf/theory.py": ["tests/test_sensitivity_theory.py", "tests/test_srf.py", "tests/test_srf_width.py"],
    "asymptotics/gaussian.py": ["tests/test_sensitivity_theory.py", "tests/test_gaussian.py", "tests/test_hermite.py"],
    "asymptotics/spectra.py": ["tests/test_sensitivity_theory.py", "tests/test_spectra.py", "tests/test_onestep.py"],
    "asymptotics/kernels/theory.py": ["tests/test_sensitivity_kernels.py", "tests/test_kernels.py"],
    "asymptotics/gegenbauer.py": ["tests/test_sensitivity_kernels.py", "tests/test_kernels.py"],
    "asymptotics/hermite.py": ["tests/test_sensitivity_theory.py", "tests/test_hermite.py"],
    "asymptotics/_hermite_exact.py": ["tests/test_hermite.py", "tests/test_package.py"],
    "asymptotics/activations.py": ["tests/test_activations.py", "tests/test_package.py", "tests/test_hermite.py"],
    "validation/one_step/network.py": ["tests/test_sensitivity_onestep.py", "tests/test_simulate.py"],
    "validation/one_step/simulation.py": ["tests/test_sensitivity_onestep.py", "tests/test_simulate.py"],
    "validation/readout.py": ["tests/test_sensitivity_onestep.py", "tests/test_readout.py"],
    "validation/one_step/exact_risk.py": ["tests/test_sensitivity_onestep.py", "tests/test_exact_risk.py"],
    "validation/giant_step/simulation.py": ["tests/test_sensitivity_giant_step.py", "tests/test_giant_step.py"],
    "validation/kernels/simulation.py": ["tests/test_sensitivity_kernels.py", "tests/test_kernel_sim.py"],
}

#: Named mutants: (module, exact source text, replacement, description).  Run against every
#: default-suite test file listed (not only the sensitivity file), without ``-x`` short cuts.
NAMED = [
    ("validation/one_step/network.py",
     "W1 = W0 - (eta * math.sqrt(N)) * one_step_gradient(",
     "W1 = W0 - (eta * math.sqrt(W0.shape[0])) * one_step_gradient(",
     "one-step update scaled by sqrt(d) instead of sqrt(N)"),
    ("validation/one_step/simulation.py",
     "out += ge.mu_star * rng.standard_normal(pre.shape)",
     "out += 1.3 * ge.mu_star * rng.standard_normal(pre.shape)",
     "Gaussian-equivalent features with mu* x 1.3"),
    ("validation/one_step/simulation.py",
     "return GEConstants(mu0=float(h.mu0), mu1=float(h.mu1), mu_star=float(h.mu_star))",
     "return GEConstants(mu0=float(h.mu0), mu1=float(h.mu1), mu_star=1.3 * float(h.mu_star))",
     "Gaussian-equivalent constants with mu* x 1.3"),
    ("validation/one_step/network.py",
     "return out / math.sqrt(N)",
     "return out / (1.02 * math.sqrt(N))",
     "network output 2 % too small"),
    ("validation/readout.py",
     "return n * float(lam) / N",
     "return 1.02 * n * float(lam) / N",
     "ridge penalty 2 % too large"),
    ("validation/one_step/network.py",
     "W1 = W0 - (eta * math.sqrt(N)) * one_step_gradient(",
     "W1 = W0 - (1.02 * eta * math.sqrt(N)) * one_step_gradient(",
     "one-step update 2 % too large"),
    ("validation/one_step/simulation.py",
     "out += ge.mu_star * rng.standard_normal(pre.shape)",
     "out += 1.02 * ge.mu_star * rng.standard_normal(pre.shape)",
     "Gaussian-equivalent features with mu* x 1.02"),
    ("validation/one_step/exact_risk.py",
     "coef @ K @ coef / N",
     "coef @ K @ coef / (1.02 * N)",
     "exact test risk: quadratic term 2 % too small"),
    ("validation/giant_step/simulation.py",
     "W1 = W0 - (eta_tilde * p) * grad",
     "W1 = W0 - (1.02 * eta_tilde * p) * grad",
     "giant step 2 % too large"),
    ("asymptotics/one_step/theory.py",
     "r2 = setting.eta**2 * s.mu1**2 * denom",
     "r2 = 1.02 * setting.eta**2 * s.mu1**2 * denom",
     "one-step theory: spike strength r^2 x 1.02"),
    ("asymptotics/spiked_rf/theory.py",
     "c = s_b**2 + setting.eta_tilde**2 / setting.alpha0 * e_y * s.var_derivative",
     "c = 1.02 * (s_b**2 + setting.eta_tilde**2 / setting.alpha0 * e_y * s.var_derivative)",
     "sRF bulk variance c x 1.02"),
]

_SKIP_KEYWORDS = {"tol", "rtol", "atol", "maxiter", "max_iter", "max_order", "nodes", "digits",
                  "budget", "time_budget", "chunk_size", "max_degree", "tail_factor", "panels",
                  "stacklevel", "zero_tol", "maxfev", "xtol", "ftol", "m", "memory", "damping"}
_SQRT_NAMES = {"sqrt"}


@dataclass
class Mutant:
    module: str
    ident: str
    op: str
    lineno: int
    col: int
    end_lineno: int
    end_col: int
    original: str
    replacement: str
    function: str
    line: str
    status: str = "pending"
    seconds: float = 0.0
    detail: str = ""


def _parents(tree: ast.AST) -> dict:
    par = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            par[child] = node
    return par


def _skipped(node: ast.AST, par: dict) -> bool:
    """True when the node sits in code that is not a formula (messages, guards' raise, defaults)."""
    child, cur = node, par.get(node)
    while cur is not None:
        if isinstance(cur, (ast.JoinedStr, ast.Raise, ast.Assert)):
            return True
        if isinstance(cur, ast.keyword) and (cur.arg in _SKIP_KEYWORDS):
            return True
        if isinstance(cur, ast.arguments) and child in (cur.defaults + cur.kw_defaults):
            return True
        if isinstance(cur, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and child in cur.decorator_list:
            return True
        if isinstance(cur, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in cur.targets):
            return True
        if isinstance(cur, ast.AnnAssign) and isinstance(par.get(cur), ast.ClassDef):
            return True  # dataclass field defaults
        if isinstance(cur, ast.If) and child is cur.test and all(isinstance(b, ast.Raise) for b in cur.body):
            return True  # input guard: `if bad: raise ...`
        if isinstance(cur, ast.Call):
            fname = cur.func.attr if isinstance(cur.func, ast.Attribute) else getattr(cur.func, "id", "")
            if fname.startswith(("check_", "_check")):
                return True  # validators (check_int, check_positive, check_all_finite, ...)
        if (isinstance(cur, (ast.Assign, ast.AnnAssign)) and isinstance(par.get(cur), ast.Module)
                and all(isinstance(t, ast.Name) and t.id.lstrip("_").isupper()
                        for t in (cur.targets if isinstance(cur, ast.Assign) else [cur.target]))):
            return True  # module-level tuning constants (_MAX_COND, _CHUNK_ENTRIES, ...)
        child, cur = cur, par.get(cur)
    return False


def _function_of(node: ast.AST, par: dict) -> str:
    names, cur = [], par.get(node)
    while cur is not None:
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(cur.name)
        cur = par.get(cur)
    return ".".join(reversed(names)) or "<module>"


_BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}


def candidates(module: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    par = _parents(tree)
    lines = source.splitlines()
    toplevel = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    out: list[Mutant] = []

    def add(node, op, replacement):
        seg = ast.get_source_segment(source, node)
        if seg is None:
            return
        out.append(Mutant(module=module, ident="", op=op, lineno=node.lineno, col=node.col_offset,
                          end_lineno=node.end_lineno, end_col=node.end_col_offset, original=seg,
                          replacement=replacement, function=_function_of(node, par),
                          line=lines[node.lineno - 1].strip()))

    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or _skipped(node, par):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            v = node.value
            if isinstance(par.get(node), ast.UnaryOp):
                pass
            if type(v) is float:
                if v == 0.0:
                    continue
                add(node, "const", repr(v * 1.02))
            else:
                add(node, "const", repr(v + 1))
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAP:
            new = ast.BinOp(left=node.left, op=_BINOP_SWAP[type(node.op)](), right=node.right)
            add(node, "binop", "(" + ast.unparse(new) + ")")
        elif isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if name in _SQRT_NAMES:
                add(node, "sqrt", "(" + ast.unparse(node.args[0]) + ")")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
            add(node, "neg", "(" + ast.unparse(node.operand) + ")")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in toplevel
                and len(node.args) == 2 and not any(isinstance(a, ast.Starred) for a in node.args)):
            a0, a1 = (ast.unparse(a) for a in node.args)
            if a0 != a1:
                new = ast.Call(func=node.func, args=[node.args[1], node.args[0]], keywords=node.keywords)
                add(node, "swap", ast.unparse(new))
    out.sort(key=lambda m: (m.lineno, m.col, m.op))
    seen: dict = {}
    for m in out:
        base = f"{Path(module).stem}:{m.lineno}:{m.col}:{m.op}"
        seen[base] = seen.get(base, 0) + 1
        m.ident = base if seen[base] == 1 else f"{base}#{seen[base]}"  # nested binops share a start
    return out


def apply(source: str, m: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    start = sum(len(l) for l in lines[: m.lineno - 1]) + _byte_to_char(lines[m.lineno - 1], m.col)
    end = sum(len(l) for l in lines[: m.end_lineno - 1]) + _byte_to_char(lines[m.end_lineno - 1], m.end_col)
    assert source[start:end] == m.original, (m.ident, source[start:end], m.original)
    new = source[:start] + m.replacement + source[end:]
    ast.parse(new)  # a mutant must be valid Python
    return new


def _byte_to_char(line: str, col: int) -> int:
    return len(line.encode("utf-8")[:col].decode("utf-8"))


def copy_repo(dest: Path, name: str = "repo", source: str = "head") -> Path:
    """Copy the committed tree (``source="head"``: ``git archive HEAD``, reproducible) or the working
    tree as it is (``"worktree"``, including uncommitted edits) to ``dest/name``."""
    root = dest / name
    if source == "head":
        root.mkdir()
        archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=REPO, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root), "--exclude=results", "--exclude=*.png",
                        "--exclude=*.pdf"], input=archive, check=True)
        return root
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "results", ".pytest_cache",
                                    "asym-demo", "*.png", "*.pdf")
    shutil.copytree(REPO, root, ignore=ignore)
    return root


#: Set on SIGTERM: queued mutants are skipped and running pytest children are killed.
STOP = threading.Event()
RUNNING: set = set()


def _terminate(*_):
    STOP.set()
    for proc in list(RUNNING):
        proc.kill()
    sys.exit(143)


#: Tests that already fail on the unmutated copy (e.g. another change in progress): deselected.
DESELECT: list[str] = []


def run_tests(root: Path, module: str, tests: list[str], timeout: float, first_fail: bool = True,
              doctests: bool = True) -> tuple[str, float, str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header",
           "-o", "addopts=", "-m", "not slow", *(["--doctest-modules"] if doctests else []),
           *(["-x"] if first_fail else []), *[t for t in tests if (root / t).exists()],
           *([module] if doctests else []), *[f"--deselect={t}" for t in DESELECT], "-rf"]
    t0 = time.perf_counter()
    if STOP.is_set():
        return "stopped", 0.0, ""
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    RUNNING.add(proc)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return "timeout", time.perf_counter() - t0, ""
    finally:
        RUNNING.discard(proc)
    p = subprocess.CompletedProcess(cmd, proc.returncode, stdout, "")
    dt = time.perf_counter() - t0
    out = p.stdout.strip().splitlines() or [""]
    tail = out[-1]
    failed = [l.split()[1] for l in out if l.startswith("FAILED ")]
    if failed:
        tail += " [" + ", ".join(failed) + "]"
    if p.returncode == 0:
        return "survived", dt, tail
    if p.returncode in (1, 2, 3):  # failures, interrupted (import error), internal error
        return "killed", dt, tail
    if p.returncode == 5 and not doctests:  # no test collected (missing file): not a kill
        return "survived", dt, tail
    return f"error({p.returncode})", dt, tail


def run_staged(root: Path, module: str, tests: list[str], timeout: float) -> tuple[str, float, str]:
    """Stage 1: the first (fast, sensitivity) test file; stage 2, only for survivors: the module's
    other test files and its doctests.  Same verdict as running everything with -x, much cheaper."""
    status, dt, tail = run_tests(root, module, tests[:1], timeout, doctests=False)
    if status != "survived" or len(tests) == 1:
        return status, dt, f"stage 1: {tail}"
    status2, dt2, tail2 = run_tests(root, module, tests[1:], timeout)
    return status2, dt + dt2, f"stage 2: {tail2}"


def check_isolation(root: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", "import asymptotics, validation; print(asymptotics.__file__); "
                          "print(validation.__file__)"], cwd=root, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    for f in out:
        if not Path(f).resolve().is_relative_to(root.resolve()):
            raise SystemExit(f"isolation failed: {f} is imported from outside the copy {root}")


def write_report(out: Path, mutants: list[Mutant], named: list[dict], meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutation.json").write_text(json.dumps({"meta": meta, "named": named,
                                                   "mutants": [asdict(m) for m in mutants]}, indent=1))
    rows = {}
    for m in mutants:
        r = rows.setdefault(m.module, {"total": 0, "killed": 0, "survived": 0, "timeout": 0, "other": 0})
        r["total"] += 1
        key = m.status if m.status in ("killed", "survived", "timeout") else "other"
        r[key] += 1
    lines = ["| module | mutants | killed | survived | timeout | other |", "|---|---|---|---|---|---|"]
    for mod, r in rows.items():
        lines.append(f"| {mod} | {r['total']} | {r['killed']} | {r['survived']} | {r['timeout']} | {r['other']} |")
    lines.append("")
    lines.append("Survivors:")
    lines.append("")
    for m in mutants:
        if m.status == "survived":
            lines.append(f"- `{m.ident}` in `{m.function}`: `{m.original}` → `{m.replacement}` — `{m.line}`")
    if named:
        lines += ["", "Named mutants:", ""]
        for n in named:
            lines.append(f"- {n['description']} ({n['module']}): **{n['status']}** ({n['detail']})")
    (out / "mutation_table.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modules", nargs="*", default=list(TESTS))
    ap.add_argument("--max-per-module", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    ap.add_argument("--out", type=Path, default=None, help="directory for mutation.json / mutation_table.md")
    ap.add_argument("--list", action="store_true", help="list the sampled candidates and exit")
    ap.add_argument("--named", action="store_true", help="also run the named mutants")
    ap.add_argument("--named-only", action="store_true")
    ap.add_argument("--ops", default="const,binop,sqrt,neg,swap")
    ap.add_argument("--only", nargs="*", default=None, help="run only these mutant ids")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run in parallel (one repo copy each)")
    ap.add_argument("--source", choices=("head", "worktree"), default="head",
                    help="copy the committed tree (default) or the working tree with uncommitted edits")
    args = ap.parse_args(argv)
    ops = set(args.ops.split(","))
    # SIGTERM → SystemExit: the running pytest child is killed and the temporary copy removed.
    signal.signal(signal.SIGTERM, _terminate)

    mutants: list[Mutant] = []
    for mod in args.modules:
        src = (REPO / mod).read_text() if args.source == "worktree" else subprocess.run(
            ["git", "show", f"HEAD:{mod}"], cwd=REPO, capture_output=True, text=True, check=True).stdout
        cands = [m for m in candidates(mod, src) if m.op in ops]
        rng = random.Random(f"{args.seed}:{mod}")
        if len(cands) > args.max_per_module:
            cands = sorted(rng.sample(cands, args.max_per_module), key=lambda m: (m.lineno, m.col))
        if args.only is not None:  # explicit ids: from all candidates, no sampling
            cands = [m for m in candidates(mod, src) if m.ident in args.only and m.op in ops]
        mutants += cands
    if args.list:
        for m in mutants:
            print(f"{m.ident:40s} {m.original!r:30s} -> {m.replacement!r:30s} [{m.function}]")
        print(f"{len(mutants)} mutants")
        return 0

    meta = {"command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                                     text=True).stdout.strip(), "source": args.source,
            "max_per_module": args.max_per_module, "seed": args.seed, "timeout": args.timeout, "tests": TESTS}
    named_results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="asym-mutation-") as tmp:
        root = copy_repo(Path(tmp), source=args.source)
        check_isolation(root)
        baseline_ok = {}
        if not args.named_only:
            for mod in dict.fromkeys(m.module for m in mutants):
                status, dt, tail = run_tests(root, mod, TESTS[mod], args.timeout * 3, first_fail=False)
                if status == "killed" and "[" in tail:  # pre-existing failures: deselect them, retry
                    DESELECT.extend(tail.split("[", 1)[1].rstrip("]").split(", "))
                    status, dt, tail = run_tests(root, mod, TESTS[mod], args.timeout * 3, first_fail=False)
                baseline_ok[mod] = status == "survived"
                print(f"baseline {mod}: {'ok' if baseline_ok[mod] else status} ({dt:.1f}s) {tail}"
                      f"{' deselected: ' + str(DESELECT) if DESELECT else ''}", flush=True)
            meta["deselected"] = list(DESELECT)
            roots = queue.Queue()
            roots.put(root)
            for j in range(1, args.jobs):
                extra = copy_repo(Path(tmp), f"repo{j}", source=args.source)
                check_isolation(extra)
                roots.put(extra)
            done = [0]
            lock = threading.Lock()

            def work(m: Mutant) -> None:
                if STOP.is_set():
                    return
                if not baseline_ok[m.module]:
                    m.status = "baseline-failed"
                    return
                r = roots.get()
                path = r / m.module
                original = path.read_text()
                try:
                    path.write_text(apply(original, m))
                    m.status, m.seconds, m.detail = run_staged(r, m.module, TESTS[m.module], args.timeout)
                finally:
                    path.write_text(original)
                    roots.put(r)
                with lock:
                    done[0] += 1
                    print(f"[{done[0]}/{len(mutants)}] {m.status:8s} {m.seconds:6.1f}s {m.ident} "
                          f"{m.original!r} -> {m.replacement!r} ({m.detail})", flush=True)
                    if args.out:
                        write_report(args.out, mutants, named_results, meta)

            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                list(pool.map(work, mutants))
        if args.named or args.named_only:
            # every default-suite (not slow) sensitivity file plus the module's own test files;
            # tests failing on the unmutated copy are deselected first.
            sens = [f"tests/{p.name}" for p in sorted((root / "tests").glob("test_sensitivity_*.py"))]
            seen = set()
            for mod, old, new, desc in NAMED:
                tests = list(dict.fromkeys(sens + TESTS[mod]))
                if (mod, tuple(tests)) not in seen:
                    seen.add((mod, tuple(tests)))
                    status, dt, tail = run_tests(root, mod, tests, args.timeout * 10, first_fail=False)
                    print(f"named baseline {mod}: {status} ({dt:.0f}s) {tail}", flush=True)
                    if status == "killed" and "[" in tail:
                        DESELECT.extend(t for t in tail.split("[", 1)[1].rstrip("]").split(", ")
                                        if t not in DESELECT)
                path = root / mod
                original = path.read_text()
                if original.count(old) != 1:
                    named_results.append({"module": mod, "description": desc, "status": "not-found", "detail": old})
                    continue
                try:
                    path.write_text(original.replace(old, new))
                    status, dt, tail = run_tests(root, mod, tests, args.timeout * 10, first_fail=False)
                finally:
                    path.write_text(original)
                named_results.append({"module": mod, "description": desc, "status": status,
                                      "detail": f"{tail}; {dt:.0f}s", "tests": tests})
                print(f"named: {desc}: {status} ({dt:.0f}s) {tail}", flush=True)
            meta["deselected"] = list(DESELECT)
    if args.out:
        write_report(args.out, mutants, named_results, meta)
    killed = sum(m.status == "killed" for m in mutants)
    print(f"killed {killed} / {len(mutants)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
