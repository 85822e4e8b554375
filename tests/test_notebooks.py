"""The notebooks run top to bottom.

* ``walkthrough.ipynb``: its code cells are executed in order in this process (outputs discarded), and
  its theory-vs-simulation cell is checked here.
* The per-family notebooks (``one_step``, ``spiked_rf``, ``kernels``) run headless in a real Jupyter
  kernel (nbclient) at ``ASYM_NOTEBOOK_SIZE=small``; their own ``assert`` cells check theory against
  simulation within a window derived from the SEM, so a failing check fails the test.
"""

import json
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(ROOT.glob("*.ipynb"))
FAMILY_NOTEBOOKS = ("one_step.ipynb", "spiked_rf.ipynb", "kernels.ipynb")


def test_every_notebook_is_tested():
    assert {p.name for p in NOTEBOOKS} == {"walkthrough.ipynb", *FAMILY_NOTEBOOKS}


def test_walkthrough_runs():
    path = ROOT / "walkthrough.ipynb"
    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {}
    code_cells = [c for c in cells if c["cell_type"] == "code"]
    assert code_cells, f"{path.name} has no code"
    for cell in code_cells:  # any exception fails the test
        exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)
    assert abs(namespace["sim"].test_error_mean - namespace["r"].test_error) < 0.2 * namespace["r"].test_error


@pytest.mark.parametrize("name", FAMILY_NOTEBOOKS)
def test_family_notebook_runs_headless(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(ROOT / name, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and 'SIZE = os.environ.get("ASYM_NOTEBOOK_SIZE", "small")' in params[0].source
    assert any(c.cell_type == "code" and "assert" in c.source for c in nb.cells), "no check on the numbers"
    monkeypatch.setenv("ASYM_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError (with the cell and the traceback) on any failure
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook drew no figure"
