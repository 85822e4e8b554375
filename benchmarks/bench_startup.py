"""Start-up cost of the package and of a theory command, against Python + numpy + scipy alone.

Run ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_startup.py``.  Each line is the best of 5 fresh
interpreters (``python -c``), measured in one run so that the ratios are meaningful on a busy machine.
"""

import subprocess
import sys

from timing import best_of

CASES = {
    "python": "pass",
    "python + numpy + scipy.optimize/special": "import numpy, scipy.optimize, scipy.special",
    "import asymptotics": "import asymptotics",
    "from asymptotics import OneStep": "from asymptotics import OneStep",
    "one_step_risk (registry names)": (
        "from asymptotics import OneStep, one_step_risk; "
        "one_step_risk(OneStep('tanh', 'tanh', psi1=2, psi2=2, lam=1e-2, eta=1))"),
    "asym risk one-step --help (CLI import)": "import asymptotics.validation.cli",
}


def main() -> None:
    base = None
    for label, code in CASES.items():
        t = best_of(lambda: subprocess.run([sys.executable, "-c", code], check=True), repeat=5)
        extra = f"   ({t - base:+.2f} s against numpy+scipy)" if base is not None else ""
        if label.startswith("python + numpy"):
            base = t
        print(f"{label:45s} {t:6.2f} s{extra}")


if __name__ == "__main__":
    main()
