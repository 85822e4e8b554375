"""Seeded random inputs and teacher labels for the Monte Carlo protocols.

docs/theory/one-step.md §1 (data model) and §7 (protocol); conventions in docs/conventions.md.
Inputs are x ~ N(0, I_d); the single-index teacher is f*(x) = σ*(⟨β*, x⟩) with ‖β*‖ = 1, and
the labels are y = f*(x) + σ_ε ξ with ξ ~ N(0, 1).

Every random quantity comes from an explicitly passed :class:`numpy.random.Generator`; nothing
here touches numpy's global state.  :func:`spawn_generators` derives independent, named streams
from one integer seed so that, e.g., changing the number of test points never changes the
network or the training batches.

>>> rngs = spawn_generators(0, ("init", "test"))
>>> sorted(rngs)
['init', 'test']
>>> beta = sample_unit_vector(5, rngs["init"])
>>> round(float(beta @ beta), 12)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Iterable, Mapping

import numpy as np

from asymptotics.activations import Activation
from asymptotics.errors import AsymptoticsError, InvalidParameterError
from asymptotics.limits import array_bytes, check_memory
from asymptotics.settings import check_int

__all__ = [
    "Batch",
    "NonFiniteError",
    "as_generator",
    "check_all_finite",
    "check_int",
    "check_n_test",
    "MAX_TEST_POINTS",
    "gaussian_inputs",
    "sample_batch",
    "sample_unit_vector",
    "spawn_generators",
    "teacher_labels",
]


#: Largest number of Monte Carlo test points of one call (10^8 points already take minutes; beyond
#: that a typo, not a measurement).  Memory is bounded separately (test points are chunked).
MAX_TEST_POINTS = 10**8


def check_n_test(n_test) -> int:
    """``n_test`` as an int in [1, :data:`MAX_TEST_POINTS`] or :class:`InvalidParameterError`."""
    n = check_int("n_test", n_test, 1, "the number of test points")
    if n > MAX_TEST_POINTS:
        raise InvalidParameterError(f"n_test must be <= {MAX_TEST_POINTS:g} (the number of test points), got {n}")
    return n


class NonFiniteError(AsymptoticsError, FloatingPointError):
    """A simulated quantity became NaN or ±inf (e.g. the pre-activations overflowed at huge η)."""


def check_all_finite(name: str, value, hint: str = "") -> None:
    """Raise :class:`NonFiniteError` unless every entry of ``value`` is finite.

    Parameters
    ----------
    name : str
        What the array is (used in the message).
    value : array_like
        The array or scalar to check.
    hint : str
        Optional explanation appended to the message (e.g. "the learning rate may be too large").
    """
    arr = np.asarray(value)
    if not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        msg = f"{name} is not finite ({bad} of {arr.size} entries are NaN or inf)"
        if hint:
            msg += f"; {hint}"
        raise NonFiniteError(msg)



def as_generator(rng) -> np.random.Generator:
    """Accept a :class:`~numpy.random.Generator`, a :class:`~numpy.random.SeedSequence` or an int seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise InvalidParameterError(
        f"rng must be a numpy Generator, SeedSequence or non-negative int seed, got {rng!r}"
    )


def spawn_generators(seed: int, names: Iterable[str]) -> Mapping[str, np.random.Generator]:
    """Independent generators, one per name, all derived from ``SeedSequence(seed)``.

    The i-th name gets the i-th child of ``SeedSequence(seed).spawn(len(names))``, so a stream
    depends only on the seed and on its position in ``names`` (keep the order fixed).

    Parameters
    ----------
    seed : int
        Non-negative integer seed.
    names : iterable of str
        Stream names, in a fixed order.

    Returns
    -------
    dict
        ``{name: numpy.random.Generator}``.
    """
    seed = check_int("seed", seed, 0, "a random seed")
    names = tuple(names)
    if len(set(names)) != len(names):
        raise InvalidParameterError(f"stream names must be distinct, got {names!r}")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}


def sample_unit_vector(d: int, rng: np.random.Generator) -> np.ndarray:
    """β* uniform on the unit sphere of R^d (normalized standard Gaussian), docs/theory/one-step.md §1."""
    d = check_int("d", d, 1, "the input dimension")
    check_memory(f"a unit vector in dimension {d}", array_bytes((d, 2)))
    g = rng.standard_normal(d)
    norm = np.linalg.norm(g)
    while norm == 0.0:  # pragma: no cover - probability zero
        g = rng.standard_normal(d)
        norm = np.linalg.norm(g)
    return g / norm


def gaussian_inputs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """X ∈ R^{n×d} with iid N(0, 1) entries (rows are the inputs x_i ~ N(0, I_d)), docs/theory/one-step.md §1.

    Drawing ``n1`` rows and then ``n2`` rows from the same generator gives exactly the rows of one
    ``n1 + n2`` draw, which is what makes chunked test-set evaluation identical to unchunked.
    """
    n = check_int("n", n, 0, "number of inputs")
    d = check_int("d", d, 1, "the input dimension")
    check_memory(f"{n} Gaussian inputs at d={d}", array_bytes((n, d)))
    return rng.standard_normal((n, d))


def teacher_labels(
    X: np.ndarray,
    beta: np.ndarray,
    teacher: Activation,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """y = σ*(Xβ*) + σ_ε ξ (docs/theory/one-step.md §1); the noise-free target f*(X) when ``noise == 0``.

    Parameters
    ----------
    X : (n, d) array
    beta : (d,) array
        Unit teacher direction β*.
    teacher : Activation
        σ*.
    noise : float
        σ_ε ≥ 0.  When positive, ``rng`` is required and n standard normals are drawn from it.
    rng : numpy.random.Generator, optional
    """
    y = teacher.fn(X @ beta)
    if noise > 0:
        if rng is None:
            raise InvalidParameterError("teacher_labels: an rng is needed when noise > 0")
        y = y + noise * rng.standard_normal(y.shape[0])
    return y


@dataclass(frozen=True)
class Batch:
    """A sample (X, y) of the single-index model; ``y`` includes the label noise."""

    X: np.ndarray
    y: np.ndarray

    @property
    def n(self) -> int:
        return int(self.X.shape[0])


def sample_batch(
    n: int,
    beta: np.ndarray,
    teacher: Activation,
    noise: float,
    rng: np.random.Generator,
) -> Batch:
    """Draw X (n×d, iid N(0,1)) then the noise ξ (n), in that order, from ``rng``; docs/theory/one-step.md §7 steps 2, 4."""
    n = check_int("n", n, 1, "the batch size")
    X = gaussian_inputs(n, beta.shape[0], rng)
    return Batch(X=X, y=teacher_labels(X, beta, teacher, noise, rng))
