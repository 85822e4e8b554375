"""One fixed-point engine for every self-consistent equation of the package.

In the spirit of :mod:`scipy.optimize`: a single entry point, :func:`solve_fixed_point`, methods
selected by name, and a uniform frozen result, :class:`FixedPointResult`.  Design points (a survey of
the public solvers of this field found each of them failing on at least one of these):

* **Convergence is judged on the residual of the undamped map**, G(x) − x, over *all* components,
  never on the (damped) step: with damping δ the step is (1 − δ)·(G(x) − x), and testing it against
  a fixed tolerance fakes convergence by a factor 1/(1 − δ) (Minka, dotnet/infer#269).  The stopping
  rule is ``|G(x)_i − x_i| <= tol * max(1, |x_i|)`` for every i (absolute for small components,
  relative for large ones); the reported ``residual`` is ``max_i |G(x)_i − x_i|`` at the returned x.
* ``method="damped"``: damped Picard iteration x ← x + a·(G(x) − x) with an *adaptive* step a:
  it grows while the residual falls, shrinks when the residual rises, and a step that lands on a
  non-finite value of G is retried with half the step.
* ``method="anderson"``: Anderson acceleration (type II, Walker & Ni 2011) with a history of
  ``memory`` differences, restarted when it stalls or blows up; ``method="squarem"``: the SQUAREM
  extrapolation of Varadhan & Roland (2008), scheme S3 with step-length safeguards.
* ``fallback=True``: if the accelerated method fails, the damped iteration restarts from the best
  iterate seen so far (``method`` in the result then reads e.g. ``"anderson->damped"``).
* ``positive``: a mask of components (variances) kept strictly positive: a proposal x_i ≤ 0 is
  replaced by x_i/2 of the current iterate.
* A non-finite or overflowing (|G| > ``bound``) map value is detected at the evaluation where it
  happens; if it cannot be stepped around, the solve fails with a message giving the iteration,
  the last finite residual and the offending components.
* Failure raises :class:`~asymptotics.errors.ConvergenceError` carrying the result, unless
  ``raise_on_failure=False``, in which case the non-converged result is returned (``converged`` is
  False; callers never get a silently non-converged iterate).
* :func:`solve_along` solves a sweep of maps with continuation (warm start from the previous solution,
  optionally a secant predictor).

>>> import math
>>> res = solve_fixed_point(math.cos, 1.0)
>>> res.converged, round(float(res.x), 10)        # the Dottie number
(True, 0.7390851332)
>>> res.residual < 1e-10
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from .errors import ConvergenceError, InvalidParameterError
from .limits import array_bytes, check_memory
from .settings import check_finite, check_int, check_positive

__all__ = ["FixedPointResult", "solve_fixed_point", "solve_along", "METHODS"]

#: Names accepted by :func:`solve_fixed_point`.
METHODS = ("anderson", "squarem", "damped")

_MIN_STEP = 1e-6


@dataclass(frozen=True)
class FixedPointResult:
    """Outcome of :func:`solve_fixed_point`.

    Attributes
    ----------
    converged : bool
        True iff ``|G(x)_i − x_i| <= tol * max(1, |x_i|)`` for all i at the returned ``x``.
    x : ndarray
        The returned iterate (read-only; the best one seen if the solve failed).
    residual : float
        ``max_i |G(x)_i − x_i|`` of the *undamped* map at ``x`` (inf if G(x) is not finite).
    nit : int
        Iterations (accepted updates) over all phases, fallback included.
    nfev : int
        Evaluations of the map.
    method : str
        Method(s) actually used, e.g. ``"anderson"`` or ``"anderson->damped"``.
    message : str
        Human-readable reason for stopping.
    """

    converged: bool
    x: np.ndarray = field(repr=False)
    residual: float
    nit: int
    nfev: int
    method: str
    message: str

    def to_dict(self) -> dict:
        return {
            "converged": self.converged,
            "x": np.asarray(self.x).tolist(),
            "residual": self.residual,
            "nit": self.nit,
            "nfev": self.nfev,
            "method": self.method,
            "message": self.message,
        }


#: Largest iteration cap of one solve (a guard against a runaway loop; the package's solves take < 2000).
MAX_ITER = 100_000


class _NonFinite(Exception):
    """The map returned a non-finite or overflowing value (internal signal)."""


class _Problem:
    """Wraps the user's map: shape handling, evaluation count, finiteness checks, positivity."""

    def __init__(self, fmap, x0, positive, bound, tol, scalar):
        self.fmap = fmap
        self.shape = x0.shape
        self.scalar = scalar
        self.bound = bound
        self.tol = tol
        self.nfev = 0
        self.positive = positive

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.nfev += 1
        arg = float(x[0]) if self.scalar else x.reshape(self.shape).copy()
        with np.errstate(all="ignore"):
            try:
                g = self.fmap(arg)
            except (OverflowError, ZeroDivisionError, FloatingPointError) as exc:
                raise _NonFinite(f"the map raised {type(exc).__name__}: {exc}") from None
            try:
                g = np.asarray(g, dtype=float).ravel()
            except (TypeError, ValueError, OverflowError):
                raise InvalidParameterError(f"the map must return numbers shaped like x0, got {g!r}") from None
        if g.shape != x.shape:
            raise InvalidParameterError(f"the map returned shape {g.shape}, expected {x.shape}")
        bad = ~np.isfinite(g) | (np.abs(g) > self.bound)
        if np.any(bad):
            idx = np.flatnonzero(bad)[:5].tolist()
            kind = "not finite" if not np.all(np.isfinite(g)) else f"larger than {self.bound:g}"
            raise _NonFinite(f"the map value is {kind} at component(s) {idx}")
        return g

    def residual(self, x: np.ndarray, g: np.ndarray) -> tuple[float, bool]:
        diff = np.abs(g - x)
        return float(diff.max()) if diff.size else 0.0, bool(np.all(diff <= self.tol * np.maximum(1.0, np.abs(x))))

    def project(self, proposal: np.ndarray, current: np.ndarray) -> np.ndarray:
        if self.positive is None:
            return proposal
        out = proposal.copy()
        bad = self.positive & ~(out > 0)
        out[bad] = 0.5 * current[bad]
        return out


class _State:
    """Best iterate seen so far and the iteration counter shared by all phases."""

    def __init__(self, x, g, res):
        self.best_x, self.best_g, self.best_res = x, g, res
        self.nit = 0
        self.final = None

    def offer(self, x, g, res):
        if res < self.best_res:
            self.best_x, self.best_g, self.best_res = x, g, res


def _damped(prob: _Problem, st: _State, x, g, res, conv, maxiter, step, adaptive):
    """Damped Picard x ← x + a(G(x) − x) with adaptive a.  Returns (converged, message); the
    converged iterate is left in ``st.final``."""
    step = float(step)
    max_step = 1.0 if adaptive else step
    it0 = st.nit
    while not conv:
        if st.nit - it0 >= maxiter:
            return False, f"damped iteration: no convergence in {maxiter} iterations"
        proposal = prob.project(x + step * (g - x), x)
        try:
            g_new = prob(proposal)
        except _NonFinite as exc:
            step *= 0.5
            if step < _MIN_STEP or not adaptive:
                return False, (
                    f"damped iteration {st.nit + 1}: {exc} (last finite residual {res:.3e})"
                )
            continue
        res_new, conv = prob.residual(proposal, g_new)
        st.nit += 1
        if adaptive:
            if res_new > 10.0 * res and not conv:
                # reject: the residual exploded; retry from x with a smaller step
                step *= 0.25
                if step < _MIN_STEP:
                    return False, f"damped iteration {st.nit}: step underflow (residual {res:.3e})"
                continue
            step = min(max_step, step * 1.1) if res_new < res else max(_MIN_STEP, step * 0.6)
        x, g, res = proposal, g_new, res_new
        st.offer(x, g, res)
    st.final = (x, g)
    return True, f"converged (damped) after {st.nit} iterations"


def _anderson(prob: _Problem, st: _State, x, g, res, conv, maxiter, memory, beta):
    """Anderson acceleration (type II) with restarts.  Returns (converged, message).

    A restart (history cleared, back to the best iterate, a plain step of halved mixing) happens on
    a blow-up (residual > 1e4 × best), after 2·memory + 5 iterations without a new best, or when the
    map is not finite at a proposal; more than 8 restarts is a failure.
    """
    dX: list[np.ndarray] = []
    dF: list[np.ndarray] = []
    f = g - x
    x_prev = f_prev = None
    stall = 0
    restarts = 0
    mix = beta
    it0 = st.nit

    def restart():
        nonlocal x, g, res, f, x_prev, f_prev, stall, restarts, mix
        restarts += 1
        dX.clear()
        dF.clear()
        x, g, res = st.best_x, st.best_g, st.best_res
        f = g - x
        x_prev = f_prev = None
        stall = 0
        mix *= 0.5

    while not conv:
        if st.nit - it0 >= maxiter:
            return False, f"anderson: no convergence in {maxiter} iterations"
        if x_prev is not None:
            dX.append(x - x_prev)
            dF.append(f - f_prev)
            if len(dX) > memory:
                dX.pop(0)
                dF.pop(0)
        if dX:
            Fm = np.stack(dF, axis=1)
            Xm = np.stack(dX, axis=1)
            scale = np.linalg.norm(Fm, axis=0)
            scale[scale == 0] = 1.0
            gamma = np.linalg.lstsq(Fm / scale, f, rcond=1e-12)[0] / scale
            proposal = x + beta * f - (Xm + beta * Fm) @ gamma
        else:
            proposal = x + mix * f
        proposal = prob.project(proposal, x)
        try:
            g_new = prob(proposal)
        except _NonFinite as exc:
            if restarts >= 8:
                return False, f"anderson iteration {st.nit + 1}: {exc} (last finite residual {res:.3e})"
            restart()
            continue
        st.nit += 1
        res_new, conv = prob.residual(proposal, g_new)
        x_prev, f_prev = x, f
        x, g, res = proposal, g_new, res_new
        f = g - x
        stall = 0 if res < st.best_res else stall + 1
        st.offer(x, g, res)
        if not conv and (res > 1e4 * st.best_res or stall > 2 * memory + 5):
            if restarts >= 8:
                return False, f"anderson: stagnated at residual {st.best_res:.3e} after {st.nit} iterations"
            restart()
    st.final = (x, g)
    return True, f"converged (anderson) after {st.nit} iterations"


def _squarem(prob: _Problem, st: _State, x, g, res, conv, maxiter):
    """SQUAREM (Varadhan & Roland 2008, scheme S3) with a monotone safeguard on the residual."""
    it0 = st.nit
    while not conv:
        if st.nit - it0 >= maxiter:
            return False, f"squarem: no convergence in {maxiter} iterations"
        try:
            x1 = prob.project(g, x)
            g1 = prob(x1)
            r = x1 - x
            v = (g1 - x1) - r
            nv = float(np.linalg.norm(v))
            alpha = -1.0 if nv == 0 else -float(np.linalg.norm(r)) / nv
            alpha = min(alpha, -1.0)
            proposal = prob.project(x - 2 * alpha * r + alpha * alpha * v, x)
            try:
                g_new = prob(proposal)
                res_new, conv = prob.residual(proposal, g_new)
            except _NonFinite:
                res_new = math.inf
            if not res_new <= 10.0 * res:  # safeguard: fall back to the plain step x1
                proposal, g_new = x1, g1
                res_new, conv = prob.residual(x1, g1)
        except _NonFinite as exc:
            return False, f"squarem iteration {st.nit + 1}: {exc} (last finite residual {res:.3e})"
        st.nit += 1
        x, g, res = proposal, g_new, res_new
        st.offer(x, g, res)
    st.final = (x, g)
    return True, f"converged (squarem) after {st.nit} iterations"


def solve_fixed_point(
    fmap: Callable,
    x0,
    *,
    method: str = "anderson",
    tol: float = 1e-10,
    maxiter: int = 1000,
    damping: float = 0.5,
    adaptive: bool = True,
    memory: int = 5,
    positive=None,
    bound: float = 1e100,
    fallback: bool = True,
    raise_on_failure: bool = True,
) -> FixedPointResult:
    """Solve x = G(x) .

    Parameters
    ----------
    fmap : callable
        G, mapping an array shaped like ``x0`` (a float if ``x0`` is a scalar) to the same shape.
    x0 : float or array_like
        Starting point (warm start).
    method : {"anderson", "squarem", "damped"}
        Iteration scheme.  ``"damped"`` is x ← δ·x + (1 − δ)·G(x), with δ = ``damping`` the weight
        on the *old* value (our convention, docs/theory/spiked-rf.md) and, if ``adaptive``, 1 − δ adapted on the fly.
    tol : float
        Convergence when ``|G(x)_i − x_i| <= tol * max(1, |x_i|)`` for every component.
    maxiter : int
        Iteration cap of each phase (the fallback gets its own ``maxiter``).
    damping : float in [0, 1)
        Initial weight on the old value for ``"damped"`` (and for the fallback).
    adaptive : bool
        Adapt the damped step (grow while the residual falls, shrink when it rises).
    memory : int
        Anderson history length.
    positive : None, bool array or index sequence
        Components that must stay > 0 (variances); ``x0`` must satisfy it.
    bound : float
        |G(x)_i| above this counts as overflow.
    fallback : bool
        If the accelerated method fails, continue with adaptive damped iteration from the best iterate.
    raise_on_failure : bool
        Raise :class:`~asymptotics.errors.ConvergenceError` (with ``.result``) on failure; otherwise
        return the non-converged result.

    Returns
    -------
    FixedPointResult

    Examples
    --------
    A linear contraction x = A x + b:

    >>> A = np.array([[0.5, 0.2], [0.1, 0.3]]); b = np.array([1.0, 2.0])
    >>> res = solve_fixed_point(lambda x: A @ x + b, np.zeros(2))
    >>> bool(np.allclose(res.x, np.linalg.solve(np.eye(2) - A, b), atol=1e-9)), res.method
    (True, 'anderson')

    A map without a fixed point fails loudly:

    >>> solve_fixed_point(lambda x: x + 1.0, 0.0, maxiter=200, fallback=False)
    Traceback (most recent call last):
    ...
    asymptotics.errors.ConvergenceError: fixed point not found (anderson): anderson: stagnated ...
    >>> solve_fixed_point(lambda x: x + 1.0, 0.0, maxiter=50, raise_on_failure=False).converged
    False
    """
    if not callable(fmap):
        raise InvalidParameterError(f"fmap must be a callable G(x), got {fmap!r}")
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    method = method.lower()
    tol = check_positive("tol", tol, "the relative convergence tolerance")
    maxiter = check_int("maxiter", maxiter, 1, "the iteration cap")
    if maxiter > MAX_ITER:
        raise InvalidParameterError(f"maxiter must be <= {MAX_ITER} (the iteration cap), got {maxiter}")
    damping = check_finite("damping", damping, "the weight on the old value")
    if not (0.0 <= damping < 1.0):
        raise InvalidParameterError(f"damping must lie in [0, 1) (weight on the old value), got {damping!r}")
    memory = check_int("memory", memory, 1, "the Anderson history length")
    bound = check_positive("bound", bound, "the overflow threshold of |G(x)|")
    try:
        x0 = np.array(x0, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"x0 must be a number or an array of numbers, got {x0!r}") from None
    scalar = x0.ndim == 0
    x = x0.ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise InvalidParameterError("x0 must be a non-empty array of finite numbers")
    check_memory(f"solve_fixed_point with {x.size} unknowns", array_bytes((x.size, 2 * memory + 8)))
    pos = None
    if positive is not None:
        pos = np.zeros(x.size, dtype=bool)
        try:
            parr = np.asarray(positive)
            if parr.dtype == bool:
                if parr.size != x.size:
                    raise InvalidParameterError("the positive mask must have one entry per component of x0")
                pos = parr.ravel().copy()
            else:
                pos[parr.astype(int).ravel()] = True
        except (TypeError, ValueError, IndexError, OverflowError):
            raise InvalidParameterError(
                f"positive must be a boolean mask or indices of x0's components, got {positive!r}") from None
        if np.any(x[pos] <= 0):
            raise InvalidParameterError("x0 violates the positivity constraint")
    prob = _Problem(fmap, x0, pos, bound, tol, scalar)

    def finish(conv, xr, res, used, msg):
        xr = np.array(xr, dtype=float).reshape(np.shape(x0))
        xr.setflags(write=False)
        result = FixedPointResult(bool(conv), xr, float(res), st.nit if st else 0, prob.nfev, used, msg)
        if not conv and raise_on_failure:
            raise ConvergenceError(
                f"fixed point not found ({used}): {msg}; residual {res:.3e} after {result.nit} "
                f"iterations ({result.nfev} map evaluations)",
                result,
            )
        return result

    st = None
    try:
        g = prob(x)
    except _NonFinite as exc:
        return finish(False, x, math.inf, method, f"at the starting point: {exc}")
    res, conv = prob.residual(x, g)
    st = _State(x, g, res)
    if conv:
        return finish(True, x, res, method, "converged at the starting point")

    step = 1.0 - damping
    if method == "damped":
        conv, msg = _damped(prob, st, x, g, res, conv, maxiter, step, adaptive)
        used = "damped"
    elif method == "anderson":
        conv, msg = _anderson(prob, st, x, g, res, conv, maxiter, memory, 1.0)
        used = "anderson"
    else:
        conv, msg = _squarem(prob, st, x, g, res, conv, maxiter)
        used = "squarem"
    if not conv and fallback and method != "damped":
        first = msg
        conv, msg = _damped(prob, st, st.best_x, st.best_g, st.best_res, False, maxiter, step, True)
        used += "->damped"
        msg = f"{first}; then {msg}"
    # a converged solve returns the converged iterate, a failed one the best iterate seen
    xr, gr = st.final if (conv and st.final is not None) else (st.best_x, st.best_g)
    res, conv = prob.residual(xr, gr)
    return finish(conv, xr, res, used, msg)


def solve_along(
    make_map: Callable[[float], Callable],
    values: Iterable,
    x0,
    *,
    predictor: str = "previous",
    **options,
) -> tuple[FixedPointResult, ...]:
    """Continuation: solve ``make_map(v)`` for each v in ``values``, warm-starting from the previous solution.

    ``predictor="previous"`` starts each solve at the previous solution; ``"secant"`` extrapolates
    linearly from the last two solutions in the (numeric) parameter, and retries from the previous
    solution if the extrapolated start fails.  Other keyword arguments go to
    :func:`solve_fixed_point`.  With ``raise_on_failure=False`` a failed point is returned as is and
    the next one starts from the last converged solution.

    >>> res = solve_along(lambda a: (lambda x: a * np.cos(x)), [0.5, 0.6, 0.7], 0.0)
    >>> [round(float(r.x), 6) for r in res]
    [0.450184, 0.520533, 0.583989]
    """
    if predictor not in ("previous", "secant"):
        raise InvalidParameterError(f"predictor must be 'previous' or 'secant', got {predictor!r}")
    if not callable(make_map):
        raise InvalidParameterError(f"make_map must be a callable v -> G, got {make_map!r}")
    raise_on_failure = options.pop("raise_on_failure", True)
    out: list[FixedPointResult] = []
    history: list[tuple[float, np.ndarray]] = []
    try:
        x_start = np.asarray(x0, dtype=float)
        values = list(values)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"x0 must be numbers and values an iterable, got {x0!r}, {values!r}") from None
    for v in values:
        fmap = make_map(v)
        start = x_start
        if predictor == "secant" and len(history) >= 2:
            (v0, x_a), (v1, x_b) = history[-2:]
            if v1 != v0:
                guess = x_b + (float(v) - v1) / (v1 - v0) * (x_b - x_a)
                pos = options.get("positive")
                if pos is None or np.all(np.asarray(guess).ravel()[np.asarray(pos)] > 0):
                    start = guess
        try:
            r = solve_fixed_point(fmap, start, raise_on_failure=True, **options)
        except ConvergenceError as exc:
            r = exc.result
            if start is not x_start:
                r = solve_fixed_point(fmap, x_start, raise_on_failure=False, **options)
            if not r.converged and raise_on_failure:
                raise ConvergenceError(f"continuation failed at parameter value {v!r}: {r.message}", r) from None
        out.append(r)
        if r.converged:
            x_start = np.asarray(r.x, dtype=float)
            try:
                history.append((float(v), x_start))
            except (TypeError, ValueError):
                pass
    return tuple(out)
