"""Every paper figure from one call: ``asym figure --all [--quick]``.

:func:`make_figure` is the dispatch behind ``asym figure PANEL`` (one place for the panels' default
sizes); :func:`regenerate_all` runs it for every panel of :data:`PANELS` in turn, writing each figure
(PNG + PDF), its CSV and its JSON configuration into ``out_dir`` and printing one progress line per
figure.  It is resumable: every panel keeps its per-seed records in a checkpoint in ``out_dir``
(:func:`default_checkpoint`), so a run that is interrupted — Ctrl-C, a crash, a killed job —
recomputes only the records that are missing when it is started again, and a finished panel is
re-assembled from its checkpoint in seconds.

Sizes: the full run reproduces the recorded figures (``results/figures``, ``results/kernels``; hours of
CPU); ``quick=True`` uses the CI sizes (small d, few seeds, thinner grids; minutes).  The full
escape-exponents panel is assembled from its recorded checkpoint (CPU-days to recompute); with
``recompute=True`` its missing records are computed.

>>> PANELS[:2]
('3a', '3b')
>>> default_checkpoint("giant-tanh", "figs", quick=True).name
'fig_giant_tanh.quick.ckpt.json'
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from asymptotics.errors import InvalidParameterError

__all__ = ["PANELS", "FigureRun", "default_checkpoint", "figure_stem", "make_figure", "regenerate_all"]

#: Every paper figure, in the order :func:`regenerate_all` makes them (cheapest families first).
PANELS = ("3a", "3b", "giant-tanh", "giant-sin", "giant-eta", "staircase", "escape", "escape-exponents")

_GIANT = ("giant-tanh", "giant-sin", "giant-eta")
_KERNEL_STEMS = {"staircase": "krr_staircase", "escape": "escape_kernel", "escape-exponents": "escape_exponents"}

#: The recorded checkpoint of the full escape-exponents run (used when ``out_dir`` has none).
_RECORDED_ESCAPE = Path(__file__).resolve().parents[1] / "results" / "kernels" / "escape_exponents.ckpt.json"


def _check_panel(panel) -> str:
    if not isinstance(panel, str) or panel not in PANELS:
        raise InvalidParameterError(f"panel must be one of {', '.join(PANELS)}, got {panel!r}")
    return panel


def figure_stem(panel: str) -> str:
    """File stem of a panel's outputs (``fig3a``, ``fig_giant_tanh``, ``krr_staircase``, ...)."""
    panel = _check_panel(panel)
    if panel in _KERNEL_STEMS:
        return _KERNEL_STEMS[panel]
    return f"fig_{panel.replace('-', '_')}" if panel in _GIANT else f"fig{panel}"


def default_checkpoint(panel: str, out_dir, quick: bool = False) -> Path:
    """``out_dir/<stem>[.quick].ckpt.json``: where :func:`regenerate_all` keeps a panel's records.

    The quick and the full size are different configurations, so they get different files (a
    checkpoint refuses records of another configuration).
    """
    return Path(out_dir) / f"{figure_stem(panel)}{'.quick' if quick else ''}.ckpt.json"


def make_figure(panel: str, out_dir="figures", *, quick: bool = False, d: int | None = None,
                seeds=None, n_test: int | None = None, checkpoint=None, progress: bool = False,
                centered: bool = True, recompute: bool = False):
    """Compute one paper figure and write it (PNG, PDF, CSV, JSON configuration) into ``out_dir``.

    The defaults are those of ``asym figure PANEL``: one-step panels d = 512 and 20 seeds (quick:
    d = 256, 3 seeds, thinner grid), n_test = 20000; giant-step panels d = 512, 4 seeds (quick:
    d = 256, 2 seeds), n_test = 10000; kernel panels as in :mod:`asymptotics.validation.kernels.figures`
    (quick: one small d, 2 seeds).  ``d``, ``seeds`` and ``n_test`` override them; ``centered=False``
    keeps the one-step teacher uncentered; ``recompute`` only matters for the full escape-exponents
    panel (compute missing records instead of assembling the checkpoint's).

    Returns
    -------
    (paths, data)
        ``paths``: {"png": ..., "pdf": ..., "csv": ..., "json": ...}; ``data``: the panel's data
        object (with ``not_converged`` where the panel has theory points).
    """
    panel = _check_panel(panel)

    def _or(value, fallback):
        return fallback if value is None else value

    if panel in _GIANT:
        from .giant_step.figures import giant_step_figure_data, write_giant_step_figure

        data = giant_step_figure_data(panel, d=_or(d, 256 if quick else 512), seeds=_or(seeds, 2 if quick else 4),
                                      n_test=_or(n_test, 10000), checkpoint=checkpoint, progress=progress)
        return write_giant_step_figure(data, out_dir), data
    if panel == "staircase":
        from .kernels.figures import staircase_data, write_staircase_figure

        ds = (d,) if d is not None else ((20,) if quick else (20, 40))
        data = staircase_data(ds=ds, seeds=_or(seeds, 2 if quick else 4), n_test=_or(n_test, 2000),
                              max_n=1000 if quick else 6000, checkpoint=checkpoint, progress=progress)
        return write_staircase_figure(data, out_dir), data
    if panel == "escape":
        from .kernels.figures import escape_data, write_escape_figure

        ds = (d,) if d is not None else ((8,) if quick else (8, 12, 16))
        data = escape_data(ds=ds, seeds=_or(seeds, 2 if quick else 3), n_test=_or(n_test, 2000),
                           checkpoint=checkpoint, progress=progress)
        return write_escape_figure(data, out_dir), data
    if panel == "escape-exponents":
        from .kernels.escape_exponents import escape_exponents_data, write_escape_exponents_figure

        if quick:
            data = escape_exponents_data(quick=True, checkpoint=checkpoint, progress=progress)
        else:
            ckpt = checkpoint or str(Path(out_dir) / "escape_exponents.ckpt.json")
            data = escape_exponents_data(checkpoint=ckpt, assemble_only=not recompute, progress=progress)
        return write_escape_exponents_figure(data, out_dir), data

    from .one_step.figures import one_step_figure_data, panel as one_step_panel, write_one_step_figure

    spec = one_step_panel(panel, centered=centered, quick=quick)
    data = one_step_figure_data(spec, d=_or(d, 256 if quick else 512), seeds=_or(seeds, 3 if quick else 20),
                                n_test=_or(n_test, 20000), checkpoint=checkpoint, progress=progress)
    return write_one_step_figure(data, out_dir), data


@dataclass(frozen=True)
class FigureRun:
    """One panel of :func:`regenerate_all`: the files written, the checkpoint, the wall time."""

    panel: str
    paths: dict
    checkpoint: str
    seconds: float
    data: object = field(default=None, repr=False, compare=False)

    @property
    def not_converged(self) -> tuple:
        """Theory points of the panel that did not converge (empty when all did)."""
        return tuple(getattr(self.data, "not_converged", ()) or ())


def regenerate_all(out_dir="figures", quick: bool = False, *, panels: Sequence[str] | None = None,
                   progress: bool = False, recompute: bool = False, stream=None,
                   make: Callable = make_figure) -> tuple[FigureRun, ...]:
    """Regenerate every paper figure (or ``panels``) into ``out_dir``, resumably.

    Each panel uses its checkpoint :func:`default_checkpoint` in ``out_dir``; after an interruption the
    same call recomputes only what is missing.  One line per figure goes to ``stream`` (default
    stderr): ``[figure 3/8] giant-tanh: ...`` when it starts and ``... done in 12.3 s -> DIR/fig_giant_tanh.png``
    when it is written.  ``progress`` also passes per-seed progress to the panels.  An exception in a
    panel stops the run (the records already computed stay in its checkpoint).

    ``make`` is the per-panel function (default :func:`make_figure`; replaceable in tests), called as
    ``make(panel, out_dir, quick=..., checkpoint=..., progress=..., recompute=...)`` and returning
    ``(paths, data)``.

    Returns
    -------
    tuple of FigureRun
        One per panel, in order.
    """
    from .store import ensure_writable

    panels = PANELS if panels is None else tuple(_check_panel(p) for p in panels)
    if not panels:
        raise InvalidParameterError("panels must name at least one figure")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(f"out_dir {str(out)!r} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    stream = sys.stderr if stream is None else stream
    runs = []
    for i, panel in enumerate(panels, 1):
        ckpt = default_checkpoint(panel, out, quick)
        ensure_writable(ckpt)
        if panel == "escape-exponents" and not quick and not recompute and not ckpt.exists() \
                and _RECORDED_ESCAPE.is_file() and _RECORDED_ESCAPE.resolve() != ckpt.resolve():
            shutil.copyfile(_RECORDED_ESCAPE, ckpt)  # assemble the recorded run (never edit it in place)
        tag = f"[figure {i}/{len(panels)}] {panel}"
        resumed = " (resuming from its checkpoint)" if ckpt.exists() else ""
        print(f"{tag}: {'quick' if quick else 'full'} size{resumed} ...", file=stream, flush=True)
        t0 = time.perf_counter()
        paths, data = make(panel, out, quick=quick, checkpoint=str(ckpt), progress=progress, recompute=recompute)
        seconds = time.perf_counter() - t0
        first = next(iter(paths.values()), "") if isinstance(paths, dict) and paths else ""
        print(f"{tag}: done in {seconds:.1f} s -> {first}", file=stream, flush=True)
        runs.append(FigureRun(panel=panel, paths=dict(paths), checkpoint=str(ckpt), seconds=seconds, data=data))
    return tuple(runs)
