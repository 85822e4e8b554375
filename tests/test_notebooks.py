"""The notebooks run top to bottom (their code cells are executed in order, outputs discarded)."""

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path):
    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {}
    code_cells = [c for c in cells if c["cell_type"] == "code"]
    assert code_cells, f"{path.name} has no code"
    for cell in code_cells:  # any exception fails the test
        exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)
    if "sim" in namespace and "r" in namespace:  # the walkthrough's theory-vs-simulation cell
        assert abs(namespace["sim"].risk_mean - namespace["r"].risk) < 0.2 * namespace["r"].risk
