"""Property-based fuzzing of the ``asym`` command line (issue 7): every subcommand, valid and
invalid arguments mixed, run in-process through :func:`asymptotics.validation.cli.main`.

The contract checked on every call (see the exit-status rule in :mod:`asymptotics.validation.cli`):

* the exit status is 0, 2 or 3 — no exception escapes ``main`` (a "traceback"), no call runs longer
  than the per-call timer (a "hang");
* status 2: nothing on stdout, exactly one stderr line, starting with ``asym: error:``;
* status 0 with ``--json``: strict JSON (no NaN / Infinity) with no ``non_finite`` flag; in text
  mode no ``nan`` / ``inf`` word; every stderr line is an ``asym: warning:`` (or a progress line);
* status 3: complete strict JSON (when ``--json``) and an ``asym: warning:`` line on stderr.

Sizes are tiny (d ≤ 16, ≤ 2 seeds, ≤ 200 test points) so that valid calls are fast; the pools also
hold extremes (1e300, 1e9-sized dimensions, NaN, infinities), empty items, garbage and injection
strings.  Commands whose smallest valid run still takes many seconds (``figure``, ``compare``,
``demo``) get at least one invalid token in the fast profile, so there they exercise the checks
that must fire before any work; the long profile (``-m slow``) also runs them validly.

Fast profile: default suite, derandomized, a few dozen cases.  Long profile:
``ASYM_FUZZ_CASES=10000 python3 -m pytest tests/test_fuzz_cli.py -m slow -s`` prints the outcome
counts (``ASYM_FUZZ_REPORT=path`` also writes them as JSON).
"""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asymptotics.validation.cli import main

# ------------------------------------------------------------------------------------------ pools

INJECTION = ["__import__('os').system('echo pwned')", "lambda: 0", "z.__class__", "open('/etc/passwd')",
             "${HOME}", "$(echo hi)", "; rm -rf /", "'\"", "\\n", "a\nb", "\x00", "é", "١", "1_000", "0x10"]
GARBAGE = ["", " ", ",", "1,", ",1", "1,,2", "abc", "1;2", "[1]", "1 2", "--", "-", "true", "None"]
NONFINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "1,nan", "2,inf"]
EXTREME = ["1e300", "-1e300", "1e-300", "5e-324", "1e30", "-0", "0", "-1", "1e6"]
BAD_NUMBER = GARBAGE + NONFINITE + EXTREME + INJECTION

RATIO_OK = ["0.5", "1", "2", "1.5", "0.25", "4"]
RATIO_LIST = ["0.5,1", "1,2,4", "0.5, 2"]
SMALL_OK = ["0", "0.01", "0.1", "1e-3", "0.25", "0.01,0.1"]
INT_D_OK = ["8", "12", "16", "8,12"]
INT_BAD = ["0", "-3", "8.5", "1e9", "1e12", "nan", "inf", "x", "99999999999999999999", "1,2", "", "1e400"]
SEEDS_OK = ["1", "2", "0,3"]
SEEDS_BAD = ["0", "-1", "1.5", "1,1", "nan", "", ",", "1,,2", "x", "-2,3", "1e400"]
NTEST_OK = ["50", "100", "200"]

ACT_OK = ["tanh", "relu", "erf", "sin", "softplus", "centered:relu", "centered:softplus", "z**2", "tanh(z + 1/2)",
          "z + z**3", "sigmoid", "gelu"]
ACT_BAD = ["nonsense", "cos", "exp(z**2)", "1/z", "tanh(", "z**1000000", "exp(exp(exp(z)))", "centered:", "x",
           "0", "log(z)", "sqrt(z)", "z" * 5000, "(" * 200 + "z" + ")" * 200] + INJECTION
TARGET_OK = ["1:1", "1:1,2:0.5", "2:1", "1:0.5,3:0.25"]
TARGET_BAD = ["abc", "1:nan", "-1:1", "1:1e300", "99:1", "1:", ":1", "1:-1", "1:inf", "", "tanh", "z**2"] + INJECTION

HEAVY = {"figure", "compare", "demo"}


def pool(ok, bad, p_bad=0.25):
    """An option's values: valid ones, invalid ones and how often a mixed case picks an invalid one."""
    return (tuple(ok), tuple(bad), p_bad)


def draw_value(draw, spec, valid: bool):
    """A valid value in an all-valid case; otherwise invalid with probability p_bad (4 % arbitrary text)."""
    ok, bad, p_bad = spec
    u = draw(st.integers(0, 99))
    if valid or u >= int(100 * p_bad):
        return draw(st.sampled_from(ok))
    return draw(st.text(max_size=10)) if u < 4 else draw(st.sampled_from(bad))


def ratio():
    return pool(RATIO_OK + RATIO_LIST, BAD_NUMBER)


def small():
    return pool(SMALL_OK, BAD_NUMBER)


def d_opt():
    return pool(INT_D_OK, INT_BAD)


def seeds_opt():
    return pool(SEEDS_OK, SEEDS_BAD)


def ntest_opt():
    return pool(NTEST_OK, INT_BAD)


def act():
    return pool(ACT_OK, ACT_BAD, 0.3)


def paths(kind: str):
    """Symbolic paths resolved against the run's scratch directory (see :func:`_resolve`)."""
    ok = ["@fresh"] if kind == "out" else ["@fresh.json"]
    bad = ["@file", "@file/sub", "/proc/asym-fuzz/x", "@dir", "", "@garbage.json", "@fresh\x00x"]
    return pool(ok, bad, 0.5)


def one_step_opts(sim: bool):
    return {"--student": act(), "--teacher": act(), "--psi1": ratio(), "--psi2": ratio(), "--lam": small(),
            "--eta": ratio(), "--noise": small()}


def giant_opts(srf_given: bool):
    """Giant-step options; ``srf_given``: --r/--c/--gamma are valid (risk, simulate srf) or never (network)."""
    srf_ok = [["--r", "0.5", "--c", "1", "--gamma", "0.5"], ["--r", "1", "--c", "1.2", "--gamma", "0"]]
    srf_bad = [["--r", "1"], ["--r", "nan", "--c", "1", "--gamma", "0"], ["--r", "1", "--c", "-1", "--gamma", "0"],
               ["--r", "1", "--c", "1", "--gamma", "2"], ["--c", "1e300", "--r", "1e300", "--gamma", "1"]]
    return {"--student": act(), "--teacher": act(), "--alpha0": ratio(), "--eta-tilde": ratio(),
            "--alpha": ratio(), "--width-ratio": pool(["0.5", "1", "2"], BAD_NUMBER), "--lam": small(),
            "--noise": small(), "@srf": pool(srf_ok if srf_given else [[]], srf_bad + ([] if srf_given else srf_ok))}


FLAG = "<flag>"
FLAG_SPEC = pool([FLAG], [FLAG], 0)

COMMANDS = {
    ("hermite",): {"@pos": act(), "--order": pool(["0", "3", "6"], INT_BAD + ["200", "100000"]),
                   "--digits": pool(["10", "20"], INT_BAD + ["100000"], 0.3)},
    ("risk", "one-step"): {**one_step_opts(False), "--eta-tilde": pool(["1", "2,4"], BAD_NUMBER, 0.3)},
    ("risk", "hetero-srf"): {**{k: v for k, v in giant_opts(True).items() if k != "@srf"},
                             "--law": pool(["two-point:0.5,1.5", "gaussian:1", "homogeneous:0.7,1.1",
                                            "mixture:0.3,1;0.4,0.6"],
                                           ["bogus:1", "two-point:1", "gaussian:", "mixture:1,2", "nan", "",
                                            "two-point:1,nan", "gaussian:1,2,3,4,5,6", "homogeneous:1e300"]),
                             "--gamma": pool(["0.5", "0"], BAD_NUMBER + ["2"]),
                             "@backend": pool([["--backend", "asymptotic"], ["--backend", "finite", "--d", "16"]],
                                              [["--backend", "x"], ["--backend", "finite"], ["--d", "16"]])},
    ("risk", "large-step"): {"--student": act(), "--teacher": act()},
    ("risk", "krr"): {"--kernel": pool(["ntk", "rf"], ["both", "x", ""]), "--activation": act(), "--d": d_opt(),
                      "--n": pool(["20", "50,100", "40"], BAD_NUMBER), "--lam": small(),
                      "--target": pool(TARGET_OK, TARGET_BAD), "--noise": small()},
    ("risk", "giant-step"): {**giant_opts(True),
                             "@backend": pool([["--backend", "asymptotic"], ["--backend", "finite", "--d", "16"]],
                                              [["--backend", "x"], ["--backend", "finite"], ["--d", "16"],
                                               ["--backend", "finite", "--d", "1e9"],
                                               ["--backend", "finite", "--d", "nan"]]),
                             "--seed": pool(["0", "3"], SEEDS_BAD)},
    ("simulate", "one-step"): {**one_step_opts(True), "--d": d_opt(), "--seeds": seeds_opt(),
                               "--n-test": ntest_opt(), "--psi1-readout": pool(["1", "2"], BAD_NUMBER, 0.4),
                               "--features": pool(["network", "gaussian-equivalent"], ["x"]),
                               "--exact-risk": FLAG_SPEC},
    ("simulate", "giant-step"): {**giant_opts(False), "--d": d_opt(), "--seeds": seeds_opt(), "--n-test": ntest_opt()},
    ("simulate", "srf"): {**giant_opts(True), "--d": d_opt(), "--seeds": seeds_opt(), "--n-test": ntest_opt()},
    ("simulate", "krr"): {"--kernel": pool(["ntk", "rf"], ["both", "x"]), "--activation": act(),
                          "--d": pool(["4", "6", "8"], INT_BAD), "--n": pool(["20", "30,40"], BAD_NUMBER),
                          "--lam": small(), "--target": pool(TARGET_OK, TARGET_BAD), "--noise": small(),
                          "--model": pool(["exact", "rf", "ntk"], ["x"]), "--m": pool(["5", "20"], INT_BAD),
                          "--seeds": seeds_opt(), "--n-test": ntest_opt()},
    ("compare", "one-step"): {"--d": pool(["8"], BAD_NUMBER + INT_BAD), "--seeds": pool(["1"], INT_BAD),
                              "--n-test": ntest_opt(), "--no-finite-d": FLAG_SPEC,
                              "--checkpoint": paths("ck"), "--out": paths("out")},
    ("compare", "giant-step"): {"--model": pool(["network", "srf"], ["x"]),
                                "--settings": pool(["A", "B;new", "tanh p/d=1"], ["nope", "", ";", "A;A"]),
                                "--alpha": pool(["0.5", "1,2"], BAD_NUMBER), "--d": pool(["8"], INT_BAD),
                                "--seeds": pool(["1"], SEEDS_BAD), "--n-test": ntest_opt(),
                                "--allowance": pool(["0.01", "0"], BAD_NUMBER),
                                "--checkpoint": paths("ck"), "--out": paths("out")},
    ("figure",): {"@pos": pool(["3a", "3b", "giant-tanh", "giant-sin", "giant-eta", "staircase", "escape-exponents"],
                               ["escape", "3c", ""], 0.15),
                  "--quick": FLAG_SPEC, "--d": pool(["8"], INT_BAD), "--seeds": pool(["1"], INT_BAD),
                  "--n-test": pool(["50"], INT_BAD), "--raw-teacher": FLAG_SPEC,
                  "--out": paths("out"), "--checkpoint": paths("ck")},
    ("compare", "krr"): {"--kernel": pool(["ntk", "rf"], ["x"]), "--activation": act(),
                         "--d": pool(["4", "6"], INT_BAD), "--n": pool(["20", "30,40"], BAD_NUMBER),
                         "--lam": small(), "--target": pool(TARGET_OK, TARGET_BAD), "--noise": small(),
                         "--seeds": pool(["1", "0,2"], SEEDS_BAD), "--n-test": ntest_opt(),
                         "--checkpoint": paths("ck"), "--out": paths("out")},
    # sweeps run serially (TINY) on the spec files of the scratch directory (tiny, broken, not TOML, ...)
    ("sweep",): {"@pos": pool(["@tiny.toml"], ["@bad_family.toml", "@garbage.json", "@dir", "@file", "@nope.toml",
                                                "@huge.toml", "@code.toml", ""], 0.4),
                 "--store": paths("out"), "--dry-run": FLAG_SPEC, "--workers": pool(["1"], INT_BAD, 0.5),
                 "--table": pool(["@fresh.csv"], ["@dir", "@fresh.txt", "@file/sub.csv"]),
                 "--retry-failed": FLAG_SPEC, "--recompute-corrupt": FLAG_SPEC},
    # plots of the finished tiny sweep in the scratch directory
    ("plot",): {"@pos": pool(["@store"], ["@dir", "@file", "@nope", "@garbage.json"], 0.3),
                "--x": pool(["n"], ["nope", "", "test_error_mean"], 0.3),
                "--hue": pool(["d", "lam"], ["nope"], 0.3), "--y": pool(["test_error", "train_error"], ["x"]),
                "--out": paths("out"), "--logx": FLAG_SPEC, "--logy": FLAG_SPEC},
    # the demo has fixed, realistic sizes (about a minute): fuzzed only with an --out it must refuse
    ("demo",): {"--out": pool(["@file", "@file/sub", "/proc/asym-fuzz/x", "", "@fresh\x00x"], ["@file"], 0)},
}

# --------------------------------------------------------------------------------- running a case


class Hang(BaseException):
    """Raised by the per-call timer (a BaseException, so no handler in the CLI can swallow it)."""


def _alarm(signum, frame):
    raise Hang()


_counter = iter(range(10**9))


def _resolve(token: str, scratch: Path) -> str:
    if not token.startswith("@"):
        return token
    name = token[1:]
    if name.startswith("fresh"):
        return str(scratch / f"case{next(_counter)}" / name)
    return str(scratch / name)


def _scratch(tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "file").write_text("a regular file\n")
    (tmp / "dir").mkdir(exist_ok=True)
    (tmp / "garbage.json").write_text("{not json")
    (tmp / "tiny.toml").write_text(TINY_SPEC)
    (tmp / "bad_family.toml").write_text(TINY_SPEC.replace('"kernels"', '"nope"'))
    (tmp / "huge.toml").write_text(TINY_SPEC.replace("seeds = 2", "seeds = 100000000"))
    (tmp / "code.toml").write_text(TINY_SPEC.replace('"relu"', '"__import__(\'os\').system(\'touch pwned\')"'))
    if not (tmp / "store").exists():  # one finished sweep for `asym plot`
        assert main(["sweep", str(tmp / "tiny.toml"), "--serial", "--store", str(tmp / "store"), "--no-progress"]) == 0
    return tmp


#: a sweep of 2 theory + 4 simulation runs (KRR, d = 6): a second of work
TINY_SPEC = """name = "tiny"
[[study]]
name = "n"
family = "kernels"
d = [6]
seeds = 2
[study.setting]
kernel = "ntk"
activation = "relu"
target = "1:1"
[study.grid]
n = [20, 30]
[study.options]
n_test = 50
"""


#: relative frequency of each command (the heavy ones are rarer: their valid runs take seconds)
WEIGHTS = {cmd: (1 if cmd[0] in HEAVY else 4) for cmd in COMMANDS}
_WEIGHTED = [cmd for cmd in sorted(COMMANDS) for _ in range(WEIGHTS[cmd])]
#: tiny sizes put in front of a heavy command's fuzzed options (argparse: the last value wins)
TINY = {("compare", "one-step"): ["--d", "8", "--seeds", "1", "--n-test", "50"],
        ("compare", "giant-step"): ["--d", "8", "--seeds", "1", "--n-test", "50", "--alpha", "1"],
        ("figure",): ["--quick", "--d", "8", "--seeds", "1", "--n-test", "50"],
        ("sweep",): ["--serial"]}


@st.composite
def argvs(draw, heavy_valid: bool):
    cmd = draw(st.sampled_from(_WEIGHTED))
    table = COMMANDS[cmd]
    valid = draw(st.booleans())  # half the cases have only valid values (still possibly refused)
    argv = list(cmd)
    if "@pos" in table:
        argv.append(draw_value(draw, table["@pos"], valid))
    argv += TINY.get(cmd, [])
    for opt, spec in table.items():
        if opt == "@pos" or (cmd != ("demo",) and not draw(st.booleans())):
            continue
        val = draw_value(draw, spec, valid)
        argv += [opt] if val == FLAG else list(val) if isinstance(val, list) else [opt, val]
    if cmd[0] in HEAVY and not heavy_valid:
        # one token that must be refused before any work
        opt = draw(st.sampled_from([o for o in table if o.startswith("--")]))
        bad = {"--out": "@file/sub", "--checkpoint": "@dir"}.get(opt, draw(st.sampled_from(["nan", "0,,1", "-5", "x"])))
        if table[opt] is FLAG_SPEC:
            opt, bad = "--out", "@file"
        argv += [opt, bad]
    if cmd == ("figure",) and argv[1] == "escape":
        argv += ["--out", "@file"]  # escape trains networks for minutes even at d = 4: refused runs only
    if draw(st.integers(0, 9)) < 6:
        argv.append("--json")
    if draw(st.integers(0, 19)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(["--bogus", "extra", "-x", "--json=1"])))
    return argv


_WORD_NAN = re.compile(r"(?<![A-Za-z_])(nan|inf|-inf)(?![A-Za-z_])", re.IGNORECASE)


def _strict(text: str):
    def refuse(c):
        raise ValueError(f"non-strict JSON constant {c}")

    return json.loads(text, parse_constant=refuse)


def _has_flag(obj) -> bool:
    if isinstance(obj, dict):
        return "non_finite" in obj or any(_has_flag(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_flag(v) for v in obj)
    return False


def run_case(argv: list[str], capsys, scratch: Path, timeout: float) -> tuple[str, str]:
    """Run one call; return (outcome, detail).  Outcomes: result, error, nonconverged (all clean),
    traceback, hang, unflagged_nan, contract (wrong stdout/stderr shape or exit status)."""
    argv = [_resolve(a, scratch) for a in argv]
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        code = main(argv)
    except Hang:
        capsys.readouterr()
        return "hang", f"> {timeout:g} s"
    except BaseException as exc:  # noqa: BLE001 - anything escaping main is a finding
        capsys.readouterr()
        return "traceback", f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    cap = capsys.readouterr()
    out, err = cap.out, cap.err
    lines = err.strip().splitlines()
    as_json = "--json" in argv
    if code == 2:
        if out or len(lines) != 1 or not lines[0].startswith("asym: error: "):
            return "contract", f"exit 2 with stdout {out[:80]!r} stderr {err[:200]!r}"
        return "error", lines[0]
    if code not in (0, 3):
        return "contract", f"exit status {code!r}"
    if any(not (ln.startswith("asym: warning: ") or "--progress" in argv) for ln in lines):
        return "contract", f"exit {code}: unexpected stderr {err[:200]!r}"
    data = None
    if as_json:
        try:
            data = _strict(out)
        except ValueError as exc:
            return "unflagged_nan" if "constant" in str(exc) else "contract", f"exit {code}: {exc}"[:200]
    if code == 3:
        if not any(ln.startswith("asym: warning: ") for ln in lines):
            return "contract", "exit 3 without a warning line"
        return "nonconverged", lines[0][:200]
    if (as_json and _has_flag(data)) or (not as_json and _WORD_NAN.search(out)):
        return "unflagged_nan", out[:200]
    return "result", ""


def _one_blas_thread() -> list:
    """Best effort: set every loaded OpenBLAS to one thread (tiny matrices on a shared machine run
    several times faster); returns the (setter, old count) pairs to restore."""
    import ctypes

    try:
        with open("/proc/self/maps") as fh:
            libs = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower() and "/" in ln})
    except OSError:
        return []
    restore = []
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                get_ = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if set_ is not None and get_ is not None:
                    restore.append((set_, get_()))
                    set_(1)
    return restore


def _fuzz(n_cases: int, heavy_valid: bool, timeout: float, capsys, scratch: Path, monkeypatch):
    """Run ``n_cases`` generated calls and return {outcome: count} and the list of findings."""
    monkeypatch.chdir(scratch)  # figure/demo defaults write relative paths: keep them in scratch
    restore = _one_blas_thread()
    try:
        return _run_fuzz(n_cases, heavy_valid, timeout, capsys, scratch)
    finally:
        for set_, old in restore:
            set_(old)


def _run_fuzz(n_cases: int, heavy_valid: bool, timeout: float, capsys, scratch: Path):
    counts: collections.Counter = collections.Counter()
    per_cmd: dict = collections.defaultdict(collections.Counter)
    findings: list = []
    slowest: list = []
    progress = os.environ.get("ASYM_FUZZ_REPORT")
    t_start = time.perf_counter()

    @settings(max_examples=n_cases, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(argv=argvs(heavy_valid))
    def case(argv):
        t0 = time.perf_counter()
        outcome, detail = run_case(argv, capsys, scratch, timeout)
        dt = time.perf_counter() - t0
        counts[outcome] += 1
        per_cmd[" ".join(argv[:2] if argv[0] in ("risk", "simulate", "compare") else argv[:1])][outcome] += 1
        slowest.append((dt, argv))
        slowest.sort(key=lambda t: -t[0])
        del slowest[5:]
        if outcome not in ("result", "error", "nonconverged"):
            findings.append((outcome, argv, detail))
        if progress and sum(counts.values()) % 250 == 0:  # partial report of a long run
            summary = _summary(counts, per_cmd, findings, slowest, time.perf_counter() - t_start)
            Path(progress + ".partial").write_text(json.dumps(summary, indent=1) + "\n")

    case()
    return counts, per_cmd, findings, slowest


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return _scratch(tmp_path_factory.mktemp("fuzz_cli"))


def _summary(counts, per_cmd, findings, slowest, seconds) -> dict:
    return {"cases": sum(counts.values()), "seconds": round(seconds, 1), "outcomes": dict(counts),
            "per_command": {k: dict(v) for k, v in sorted(per_cmd.items())},
            "findings": [{"outcome": o, "argv": a, "detail": d} for o, a, d in findings[:200]],
            "slowest": [{"seconds": round(t, 2), "argv": a} for t, a in slowest]}


def test_fuzz_cli_fast(capsys, scratch, monkeypatch):
    """Fast profile: 60 derandomized calls over every subcommand; no traceback, hang or silent NaN."""
    t0 = time.perf_counter()
    counts, per_cmd, findings, slowest = _fuzz(60, heavy_valid=False, timeout=60.0, capsys=capsys,
                                               scratch=scratch, monkeypatch=monkeypatch)
    assert not findings, json.dumps(_summary(counts, per_cmd, findings, slowest, time.perf_counter() - t0),
                                    indent=1)[:4000]
    assert counts["error"] > 0 and counts["result"] > 0  # the mix reaches both sides


@pytest.mark.slow
def test_fuzz_cli_long(capsys, scratch, monkeypatch):
    """Long profile (``ASYM_FUZZ_CASES``, default 10000 calls), valid heavy commands included."""
    n = int(os.environ.get("ASYM_FUZZ_CASES", "10000"))
    t0 = time.perf_counter()
    counts, per_cmd, findings, slowest = _fuzz(n, heavy_valid=True, timeout=60.0, capsys=capsys,
                                               scratch=scratch, monkeypatch=monkeypatch)
    summary = _summary(counts, per_cmd, findings, slowest, time.perf_counter() - t0)
    if os.environ.get("ASYM_FUZZ_REPORT"):
        Path(os.environ["ASYM_FUZZ_REPORT"]).write_text(json.dumps(summary, indent=1) + "\n")
    with capsys.disabled():
        print("\n" + json.dumps({k: summary[k] for k in ("cases", "seconds", "outcomes")}))
    assert not findings, json.dumps(summary, indent=1)[:6000]


# ----------------------------------------------------------------------------- targeted cases


@pytest.mark.parametrize("argv,needle", [
    (["risk", "one-step", "--d", "8,nan"], "--d"),
    (["risk", "one-step", "--eta", "1,inf"], "--eta"),
    (["risk", "one-step", "--psi1", "1,,2"], "empty item"),
    (["simulate", "one-step", "--d", "8.5"], "--d"),
    (["simulate", "one-step", "--d", "-8"], "--d"),
    (["simulate", "one-step", "--seeds", "0"], "--seeds"),
    (["simulate", "one-step", "--n-test", "0"], "--n-test"),
    (["simulate", "krr", "--n", "20,nan"], "--n"),
    (["compare", "one-step", "--d", "8,nan"], "--d"),
    (["compare", "one-step", "--seeds", "0"], "--seeds"),
    (["compare", "giant-step", "--alpha", "1,inf"], "--alpha"),
    (["compare", "giant-step", "--allowance", "nan"], "--allowance"),
    (["figure", "3a", "--seeds", "0"], "--seeds"),
    (["figure", "3a", "--n-test", "0"], "--n-test"),
    (["figure", "3a", "--d", "0"], "--d"),
    (["risk", "giant-step", "--r", "nan", "--c", "1", "--gamma", "0"], "--r"),
    (["simulate", "srf", "--width-ratio", "1_000"], "--width-ratio"),  # Python-only syntax: refused
    (["simulate", "one-step", "--d", "١٦"], "--d"),  # digits of another script: refused
])
def test_numbers_refused_with_option_name(capsys, argv, needle):
    code = main(argv)
    cap = capsys.readouterr()
    (line,) = cap.err.strip().splitlines()
    assert code == 2 and cap.out == "" and line.startswith("asym: error:") and needle in line


@pytest.mark.parametrize("command", [["compare", "one-step", "--d", "8", "--seeds", "1"],
                                     ["compare", "giant-step", "--d", "8", "--seeds", "1"],
                                     ["figure", "3a", "--quick", "--d", "8", "--seeds", "1"],
                                     ["demo"]])
@pytest.mark.parametrize("where", ["file", "under_file", "unwritable", "checkpoint_dir", "checkpoint_under_file"])
def test_unwritable_outputs_refused_before_work(capsys, tmp_path, monkeypatch, command, where):
    """--out / --checkpoint that cannot be written: one-line error at once (no simulation runs)."""
    import asymptotics.validation.one_step.simulation as simulate

    monkeypatch.setattr(simulate, "simulate_seed", lambda *a, **k: pytest.fail("work started"))
    (tmp_path / "f").write_text("x")
    opt, path = {"file": ("--out", tmp_path / "f"), "under_file": ("--out", tmp_path / "f" / "sub"),
                 "unwritable": ("--out", Path("/proc/asym-test/out")),
                 "checkpoint_dir": ("--checkpoint", tmp_path),
                 "checkpoint_under_file": ("--checkpoint", tmp_path / "f" / "ck.json")}[where]
    if command == ["demo"] and opt == "--checkpoint":
        pytest.skip("demo has no checkpoint")
    t0 = time.perf_counter()
    code = main(command + [opt, str(path)])
    cap = capsys.readouterr()
    assert code == 2 and cap.out == "" and time.perf_counter() - t0 < 5
    (line,) = cap.err.strip().splitlines()
    assert line.startswith(f"asym: error: {opt}")


def test_json_non_finite_is_null_and_flagged():
    from asymptotics.validation.cli import json_safe

    import numpy as np

    out = json_safe({"a": float("nan"), "b": [1.0, np.float64("inf")], "c": {"x": np.float32(2.0)}, "d": "nan"})
    assert out == {"a": None, "b": [1.0, None], "c": {"x": 2.0}, "d": "nan", "non_finite": ["a", "b"]}
    json.dumps(out, allow_nan=False)


def test_non_finite_result_exit_3(capsys, monkeypatch):
    """A computation returning NaN after the work is done: strict JSON, flagged, exit 3, no crash."""
    import asymptotics.validation.cli.one_step as cli

    real = cli.one_step_risk

    class Fake:
        def __init__(self, r):
            self.r = r

        def __getattr__(self, k):
            return float("nan") if k == "test_error" else getattr(self.r, k)

        def to_dict(self):
            return {**self.r.to_dict(), "test_error": float("nan")}

    monkeypatch.setattr(cli, "one_step_risk", lambda s: Fake(real(s)))
    code = main(["risk", "one-step", "--json"])
    cap = capsys.readouterr()
    d = _strict(cap.out)
    assert code == 3 and d["test_error"] is None and d["non_finite"] == ["test_error"]
    assert cap.err.startswith("asym: warning:") and "non-finite" in cap.err


def test_figure_reports_nonconverged_theory_points(capsys, tmp_path, monkeypatch):
    """Giant-step figure whose theory fails at one α: not drawn, CSV column converged = False, JSON
    config lists it, title counts it, exit 3 with the warning naming it."""
    import csv
    import io

    import asymptotics.spiked_rf.theory as srf
    import asymptotics.validation.giant_step.figures as figures

    real = srf.srf_curve

    def curve(setting, name, values, **kw):
        out = list(real(setting, name, values, **kw))
        bad = real(setting, name, [values[0]], maxiter=1, raise_on_failure=False)[0]
        out[0] = bad
        return tuple(out)

    monkeypatch.setattr(figures, "srf_curve", curve)
    monkeypatch.setattr(figures, "GIANT_STEP_PANELS", {"giant-tanh": figures.GIANT_STEP_PANELS["giant-tanh"].__class__(
        **{**figures.GIANT_STEP_PANELS["giant-tanh"].__dict__, "theory_grid": (0.5, 1.0, 2.0), "sim_grid": (1.0,),
           "etas": (1.0,)})})
    code = main(["figure", "giant-tanh", "--d", "8", "--seeds", "1", "--n-test", "50", "--out", str(tmp_path), "--json"])
    cap = capsys.readouterr()
    assert code == 3, cap.err
    (line,) = cap.err.strip().splitlines()
    assert line.startswith("asym: warning: 1 of 3 points did not converge: eta_tilde=1 alpha=0.5 (residual ")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "fig_giant_tanh.csv").read_text())))
    assert [r["converged"] for r in rows if r["kind"] == "theory"] == ["False", "True", "True"]
    cfg = json.loads((tmp_path / "fig_giant_tanh.json").read_text())
    assert cfg["not_converged"][0]["value"] == 0.5 and cfg["not_converged"][0]["nit"] >= 1


# ------------------------------------------------------------------------------- real processes


def _asym(*argv, **kw):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "asymptotics", *argv], capture_output=True, text=True,
                          env=env, timeout=120, **kw)


def test_subprocess_exit_codes_and_no_traceback(tmp_path):
    r = _asym("risk", "one-step", "--eta", "1,nan", "--json")
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("asym: error: --eta")
    (tmp_path / "f").write_text("x")
    r = _asym("compare", "one-step", "--d", "8", "--seeds", "1", "--out", str(tmp_path / "f" / "x"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.startswith("asym: error: --out")


def test_subprocess_nonconverged_exit_3():
    code = ("import sys, asymptotics.spiked_rf.theory as s; real = s.srf_risk; "
            "s.srf_risk = lambda *a, **k: real(*a, **{**k, 'maxiter': 1}); "
            "from asymptotics.validation.cli import main; sys.exit(main(['risk', 'giant-step', '--alpha', '1,2', '--json']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert [p["converged"] for p in _strict(r.stdout)] == [False, False]
    assert r.stderr.startswith("asym: warning: 2 of 2 points did not converge: --alpha 1 (residual ")
