"""Reference quadrature and activations written out by hand for the sensitivity tests.

Independent of :mod:`asymptotics` on purpose: the tests compare the package against these.
"""

import numpy as np

#: Gauss–Hermite rule (probabilists'), 200 nodes, weights summing to 1: E g(z) to ~1e-13 for smooth g.
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(200)
GH_W = GH_W / GH_W.sum()


def gauss(g) -> float:
    """E g(z), z ~ N(0, 1)."""
    return float(np.sum(GH_W * g(GH_X)))


def gauss2(f, g, rho: float) -> float:
    """E f(u) g(v) for standard Gaussians u, v with correlation ρ (product rule)."""
    u = GH_X[:, None]
    v = rho * u + np.sqrt(1 - rho**2) * GH_X[None, :]
    return float(np.sum(np.outer(GH_W, GH_W) * f(u) * g(v)))


def softplus(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


#: σ and σ' by hand (not through asymptotics.activations' derivative).
ACTS = {"tanh": (np.tanh, lambda z: 1.0 / np.cosh(z) ** 2), "softplus": (softplus, sigmoid)}
