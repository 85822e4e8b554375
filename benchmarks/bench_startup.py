"""Start-up cost of the package and of a theory command, against Python + numpy + scipy alone.

Run ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_startup.py``.  Each line is the best of 5 fresh
interpreters (``python -c``), measured in one run so that the ratios are meaningful on a busy
machine.  The last column is the cost beyond ``python + numpy + scipy`` (the modules every theory
command needs anyway); the target for a theory command (``asym risk one-step ...``) is well under
1 s.  The "sympy" lines show what an expression activation still pays (sympy is imported only for
expressions and exact symbolic coefficients, never for registry names).

Measured on the shared 2-core machine (load ≈ 3, best of 7, the two trees interleaved in one run;
"before" is the same tree with activations.py / expressions.py / hermite.py as they were when
sympy was imported at module level), seconds and, in brackets, beyond numpy + scipy:

    case                                before          after
    python + numpy + scipy              0.52            0.48
    from asymptotics import OneStep     1.13 (+0.62)    0.55 (+0.07)
    one_step_risk (registry names)      0.95 (+0.43)    0.49 (+0.01)
    CLI import                          1.00 (+0.48)    0.54 (+0.07)
    asym risk one-step (whole command)  0.89 (+0.37)    0.54 (+0.06)

tests/test_package.py checks the structural part (no sympy in ``sys.modules`` after the command).
"""

import subprocess
import sys

from timing import best_of

_RISK_ARGS = ("['risk', 'one-step', '--student', 'tanh', '--teacher', 'tanh', '--psi1', '2', "
              "'--psi2', '2', '--lam', '1e-2', '--eta', '1']")

CASES = {
    "python": "pass",
    "python + numpy + scipy.optimize/special": "import numpy, scipy.optimize, scipy.special",
    "import asymptotics": "import asymptotics",
    "from asymptotics import OneStep": "from asymptotics import OneStep",
    "one_step_risk (registry names)": (
        "from asymptotics import OneStep, one_step_risk; "
        "one_step_risk(OneStep('tanh', 'tanh', psi1=2, psi2=2, lam=1e-2, eta=1))"),
    "CLI import (asymptotics.validation.cli)": "import asymptotics.validation.cli",
    "asym risk one-step (whole command)": (
        "import contextlib, io; from asymptotics.validation.cli import main; "
        f"f = io.StringIO(); ctx = contextlib.redirect_stdout(f); ctx.__enter__(); main({_RISK_ARGS})"),
    "one_step_risk, expression student (sympy)": (
        "from asymptotics import OneStep, one_step_risk; "
        "one_step_risk(OneStep('tanh(z) + 0.1*z**2', 'tanh', psi1=2, psi2=2, lam=1e-2, eta=1))"),
    "import sympy (for reference)": "import sympy",
}


def main() -> None:
    base = None
    for label, code in CASES.items():
        t = best_of(lambda: subprocess.run([sys.executable, "-c", code], check=True), repeat=5)
        extra = f"   ({t - base:+.2f} s against numpy+scipy)" if base is not None else ""
        if label.startswith("python + numpy"):
            base = t
        print(f"{label:45s} {t:6.2f} s{extra}", flush=True)


if __name__ == "__main__":
    main()
