"""Tests of asymptotics.hermite: exact / mpmath / float Hermite coefficients, constants, shifted moments."""

import inspect
import json
import math
import multiprocessing

import mpmath
import numpy as np
import pytest
import sympy
from scipy import special

from asymptotics.activations import REGISTRY_NAMES, get_activation
from asymptotics.errors import InvalidParameterError
import asymptotics.hermite as hermite_mod
from asymptotics.hermite import (
    MAX_DIGITS,
    MAX_ORDER,
    MAX_PRECISE_ORDER,
    activation_breakpoints,
    hermite_coefficients,
    hermite_constants,
    hermite_norm2,
    shifted_coefficients,
    shifted_moments,
    symbolic_class,
)

TANH_MU1 = "0.60570550960215882558"


def _mp_reference(name, order, dps=50):
    """Independent reference: mpmath.quad (tanh-sinh) on (-inf, 0] and [0, inf), all k at once.

    The integrand value for every k is computed at each node (Hermite recurrence) and memoized,
    so the k-th quadrature re-uses the nodes of the first one (same intervals and precision).
    """
    act = get_activation(name)
    out = []
    with mpmath.workdps(dps):
        memo = {}

        def values(x):
            key = x
            if key not in memo:
                fx = mpmath.mpmathify(act.mp(x)) * mpmath.npdf(x)
                hs = [mpmath.mpf(1), x]
                for k in range(1, order):
                    hs.append((x * hs[k] - mpmath.sqrt(k) * hs[k - 1]) / mpmath.sqrt(k + 1))
                memo[key] = [fx * h for h in hs[: order + 1]]
            return memo[key]

        for k in range(order + 1):
            out.append(mpmath.quad(lambda x: values(x)[k], [-mpmath.inf, 0, mpmath.inf]))
    return out


@pytest.mark.parametrize("name", REGISTRY_NAMES)
def test_float_path_matches_50_digit_mpmath(name):
    """Acceptance: every registry function, k <= 12, float path vs 50-digit mpmath to 1e-12."""
    ref = hermite_coefficients(name, 12, digits=50, method="mpmath")
    assert ref.method == "mpmath" and ref.error_estimate < 1e-45
    fl = hermite_coefficients(name, 12)
    assert fl.method == "float" and fl.error_estimate < 1e-13
    diffs = [abs(float(a - b)) for a, b in zip(ref.values, fl.coefficients)]
    assert max(diffs) < 1e-12, (name, diffs)


@pytest.mark.parametrize("name", ["tanh", "relu", "sign", "gelu"])
def test_mpmath_path_independent_reference(name):
    ours = hermite_coefficients(name, 6, digits=25, method="mpmath")
    ref = _mp_reference(name, 6, dps=30)
    for a, b in zip(ours.values, ref):
        assert abs(a - b) < mpmath.mpf("1e-24")


def test_tanh_mu1_to_30_digits():
    h = hermite_coefficients("tanh", 3, digits=30)
    ref = hermite_coefficients("tanh", 3, digits=50, method="mpmath")
    assert h.method == "mpmath" and h.routes[1] == "mpmath"
    assert abs(h.values[1] - ref.values[1]) < mpmath.mpf(10) ** -31
    assert mpmath.nstr(h.values[1], 20) == TANH_MU1
    d = h.to_dict()
    assert d["coefficients"][1].startswith(TANH_MU1) and len(d["coefficients"][1]) == 32  # "0." + 30 digits
    assert d["exact"][0] == "0" and d["exact"][2] == "0"  # parity zeros are exact
    json.dumps(d)


@pytest.mark.parametrize(
    "name, k, exact",
    [
        ("relu", 0, 1 / sympy.sqrt(2 * sympy.pi)),
        ("relu", 1, sympy.Rational(1, 2)),
        ("relu", 2, 1 / (2 * sympy.sqrt(sympy.pi))),
        ("relu", 3, sympy.Integer(0)),
        ("abs", 0, sympy.sqrt(2 / sympy.pi)),
        ("sign", 1, sympy.sqrt(2 / sympy.pi)),
        ("sign", 2, sympy.Integer(0)),
        ("erf", 1, 2 / sympy.sqrt(3 * sympy.pi)),
        ("erf", 3, -2 * sympy.sqrt(2) / (9 * sympy.sqrt(sympy.pi))),
        ("sin", 1, sympy.exp(-sympy.Rational(1, 2))),
        ("sin", 3, -sympy.exp(-sympy.Rational(1, 2)) / sympy.sqrt(6)),
        ("cos", 0, sympy.exp(-sympy.Rational(1, 2))),
        ("cos", 2, -sympy.exp(-sympy.Rational(1, 2)) / sympy.sqrt(2)),
        ("he3", 3, sympy.Integer(1)),
        ("linear", 1, sympy.Integer(1)),
    ],
)
def test_exact_closed_forms(name, k, exact):
    h = hermite_coefficients(name, 4, digits=40)
    assert h.method == "exact", h.routes
    assert sympy.simplify(h.exact[k] - exact) == 0
    assert h.error_estimate == 0.0
    with mpmath.workdps(45):
        assert abs(h.values[k] - mpmath.mpf(sympy.N(exact, 50))) < mpmath.mpf(10) ** -40


def test_exact_routes_reported():
    names = ("relu", "erf", "he2", "gelu", "sin", "sigmoid", "silu", "tanh")
    routes = {n: hermite_coefficients(n, 4, digits=20).routes for n in names}
    assert set(routes["relu"]) == {"half-line"}
    assert set(routes["he2"]) == {"polynomial"}
    assert routes["erf"] == ("parity", "stein") * 2 + ("parity",)
    assert set(routes["gelu"]) == {"stein", "polynomial"}  # odd part z/2, even part z erf(z/√2)/2
    assert routes["sin"] == ("parity", "gaussian-exp") * 2 + ("parity",)
    # numeric class: mpmath except what the parity split gives exactly
    assert routes["sigmoid"] == ("polynomial", "mpmath") * 2 + ("polynomial",)  # even part 1/2
    assert routes["silu"] == ("mpmath", "polynomial") * 2 + ("mpmath",)  # odd part z/2
    assert routes["tanh"] == ("parity", "mpmath") * 2 + ("parity",)


def test_decimal_literals_are_exact_decimals():
    h = hermite_coefficients("tanh(z) + 0.1*z**2", 4, digits=20)
    assert h.exact[0] == sympy.Rational(1, 10) and h.exact[4] == 0
    assert h.method == "mpmath"  # odd coefficients of tanh have no closed form
    with mpmath.workdps(30):
        assert abs(h.values[1] - mpmath.mpf(TANH_MU1)) < 1e-19


@pytest.mark.parametrize(
    "name, cls",
    [("he3", "polynomial"), ("z**3 - 0.5*z", "polynomial"), ("relu", "half-line"), ("sign", "half-line"),
     ("centered:relu", "half-line"), ("erf", "closed-form"), ("gelu", "closed-form"), ("sin", "closed-form"),
     ("cos", "closed-form"), ("erfc(z) + exp(-z**2/3)*sin(2*z)", "closed-form"), ("tanh", "numeric"),
     ("softplus", "numeric"), ("sigmoid", "numeric"), ("silu", "numeric"), ("relu(z - 1)", "numeric"),
     ("log(1 + z**2)", "numeric"), ("sin(z)**4", "numeric"), ("z" + "".join(f" + sin({i}*z)" for i in range(2, 30)), "numeric")],
)
def test_symbolic_class_rule(name, cls):
    assert symbolic_class(name) == cls


def test_route_is_deterministic_and_clock_free(monkeypatch):
    """Same method, routes and digits on a frozen and on a running clock (no time budget)."""
    import time as time_mod

    names = ["softplus", "gelu", "tanh(z) + 0.1*z**2", "sin(z)*exp(-z**2/4)"]
    first = {n: hermite_coefficients(n, 5, digits=25) for n in names}
    hermite_mod._exact_coefficients.cache_clear()
    hermite_mod._mp_coefficients.cache_clear()
    frozen = [0.0]
    monkeypatch.setattr(time_mod, "monotonic", lambda: frozen[0])
    monkeypatch.setattr(time_mod, "time", lambda: 1e12)  # "the deadline has long passed"
    for n in names:
        again = hermite_coefficients(n, 5, digits=25)
        assert (again.method, again.routes) == (first[n].method, first[n].routes)
        assert again.to_dict()["coefficients"] == first[n].to_dict()["coefficients"]
    assert multiprocessing.active_children() == []
    assert first["softplus"].method == "mpmath" and set(first["softplus"].routes) == {"mpmath"}
    assert first["gelu"].method == "exact"
    assert "time_budget" not in inspect.signature(hermite_coefficients).parameters
    assert "time_budget" not in inspect.signature(hermite_norm2).parameters


def test_order_and_digits_limits():
    with pytest.raises(InvalidParameterError, match=f"at most {MAX_DIGITS}"):
        hermite_coefficients("tanh", 3, digits=MAX_DIGITS + 1)
    with pytest.raises(InvalidParameterError, match=f"at most {MAX_PRECISE_ORDER}"):
        hermite_coefficients("tanh", MAX_PRECISE_ORDER + 1, digits=30)
    with pytest.raises(InvalidParameterError, match=f"at most {MAX_ORDER}"):
        hermite_coefficients("tanh", MAX_ORDER + 1)
    with pytest.raises(InvalidParameterError, match=f"at most {MAX_DIGITS}"):
        hermite_norm2("tanh", digits=5000)
    h = hermite_coefficients("tanh", MAX_ORDER)  # float path at its limit: finite, converged
    assert all(math.isfinite(c) for c in h.coefficients) and h.error_estimate < 1e-13


def test_worst_allowed_precise_cases_agree():
    """Limits of the precise path: order MAX_PRECISE_ORDER at MAX_DIGITS vs the float path."""
    for name in ("tanh", "gelu"):
        h = hermite_coefficients(name, MAX_PRECISE_ORDER, digits=MAX_DIGITS)
        ref = hermite_coefficients(name, MAX_PRECISE_ORDER)
        assert max(abs(float(v) - c) for v, c in zip(h.values, ref.coefficients)) < 1e-13
        assert h.error_estimate < 1e-95


def test_float_results_and_to_dict():
    h = hermite_coefficients("relu", 3)
    assert h.method == "float" and h.exact is None and h.values is None
    d = h.to_dict()
    assert isinstance(d["coefficients"][0], float)
    json.dumps(d)
    d3 = hermite_coefficients("relu", 3, digits=6, method="float").to_dict()
    assert d3["coefficients"][1] == "0.5"


@pytest.mark.parametrize("name", ["erf", "sin", "sigmoid", "gelu", "tanh"])
def test_parseval_convergence(name):
    norm2 = hermite_constants(name).norm2
    gaps = [norm2 - hermite_coefficients(name, K).norm2_partial() for K in (10, 20, 40, 60)]
    assert all(g > -1e-13 for g in gaps)
    assert all(a >= b - 1e-14 for a, b in zip(gaps, gaps[1:]))  # monotone
    assert gaps[-1] < (1e-9 if name == "tanh" else 1e-12)


def test_hermite_constants_relu_sign_linear():
    r = hermite_constants("relu")
    assert r.mu0 == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-15)
    assert r.mu1 == pytest.approx(0.5, abs=1e-15)
    assert r.norm2 == pytest.approx(0.5, abs=1e-15)
    assert r.mu_star**2 == pytest.approx(0.5 - 1 / (2 * math.pi) - 0.25, abs=1e-14)
    assert r.norm2_nonlinear == pytest.approx(r.mu_star**2, abs=1e-15)
    assert r.mean_derivative == pytest.approx(0.5, abs=1e-15)  # Stein: E f' = E z f
    assert r.var_derivative == pytest.approx(0.25, abs=1e-15)
    assert r.mean_z_derivative == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-15)
    s = hermite_constants("sign")
    assert s.mean_derivative == 0.0 and s.mu1 == pytest.approx(math.sqrt(2 / math.pi), abs=1e-15)
    lin = hermite_constants("linear")
    assert lin.mu_star == 0.0 and lin.mu1 == pytest.approx(1.0)
    assert hermite_constants("relu") is r  # cached
    json.dumps(r.to_dict())


def test_hermite_constants_tanh_against_coefficients():
    k = hermite_constants("tanh")
    c = hermite_coefficients("tanh", 1, digits=20)
    assert k.mu1 == pytest.approx(float(c.values[1]), abs=1e-14)
    assert k.mean_derivative == pytest.approx(k.mu1, abs=1e-14)  # Stein
    e = hermite_constants("erf")
    assert e.norm2 == pytest.approx(2 / math.pi * math.asin(2 / 3), abs=1e-14)


def _mp_shifted(name, s, c, dps=20):
    """E[f(s + sqrt(c) z) He_k(z)], k = 0, 1, 2, by mpmath.quad split at the moved kink."""
    act = get_activation(name)
    with mpmath.workdps(dps):
        s, c = mpmath.mpf(s), mpmath.mpf(c)
        rc = mpmath.sqrt(c)
        memo = {}

        def vals(x):
            if x not in memo:
                fx = mpmath.mpmathify(act.mp(s + rc * x)) * mpmath.npdf(x)
                memo[x] = (fx, fx * x, fx * (x * x - 1))
            return memo[x]

        kink = -s / rc
        pts = [-mpmath.inf, 0, mpmath.inf] if kink == 0 else sorted([-mpmath.inf, kink, 0, mpmath.inf])
        return [mpmath.quad(lambda x: vals(x)[k], pts) for k in range(3)]


@pytest.mark.parametrize("name", ["tanh", "relu", "erf", "sin"])
def test_shifted_moments_against_mpmath(name):
    for c in (0.3, 1.7):
        s = np.array([-2.5, 0.0, 1.1])
        got = shifted_moments(name, s, c, orders=(0, 1, 2))
        assert got.shape == (3, 3)
        for i, si in enumerate(s):
            ref = _mp_shifted(name, si, c)
            for k in range(3):
                assert abs(got[k, i] - float(ref[k])) < 1e-10, (name, si, c, k)


def test_shifted_coefficients_closed_forms():
    s = np.linspace(-3, 3, 13)
    c = 0.8
    e = shifted_coefficients("erf", s, c)
    assert np.allclose(e.mu0, special.erf(s / math.sqrt(1 + 2 * c)), atol=1e-13, rtol=0)
    # mu1 = E erf'(s + sqrt(c) z)
    assert np.allclose(e.mu1, 2 / math.sqrt(math.pi) * np.exp(-s**2 / (1 + 2 * c)) / math.sqrt(1 + 2 * c), atol=1e-13)
    r = shifted_coefficients("relu", s, c)
    rc = math.sqrt(c)
    assert np.allclose(r.mu1, special.ndtr(s / rc), atol=1e-13)
    second = (s**2 + c) * special.ndtr(s / rc) + s * rc * np.exp(-s**2 / (2 * c)) / math.sqrt(2 * math.pi)
    assert np.allclose(r.second_moment, second, atol=1e-13)
    assert np.all(r.mu_star >= 0)
    k = hermite_constants("tanh")
    t = shifted_coefficients("tanh", np.array([0.0]), 1.0)
    assert t.mu1[0] == pytest.approx(k.mu1, abs=1e-13) and t.mu_star[0] == pytest.approx(k.mu_star, abs=1e-12)
    json.dumps(t.to_dict())


def test_shifted_moments_scalar_and_normalized():
    m = shifted_moments("sin", 0.5, 2.0, orders=2, normalized=True)
    assert m.shape == (1,)
    assert float(m[0]) == pytest.approx(-2.0 * math.sin(0.5) * math.exp(-1.0) / math.sqrt(2), abs=1e-13)


def test_breakpoints():
    assert activation_breakpoints("relu") == (0.0,)
    assert activation_breakpoints("tanh") == (0.0,)
    assert activation_breakpoints("relu(z - 1) + abs(z + 2)") == (-2.0, 0.0, 1.0)
    h = hermite_coefficients("relu(z - 1)", 4)
    ref = hermite_coefficients("relu(z - 1)", 4, digits=20, method="mpmath")
    assert max(abs(float(a - b)) for a, b in zip(ref.values, h.coefficients)) < 1e-13


@pytest.mark.parametrize(
    "call",
    [
        lambda: hermite_coefficients("tanh", -1),
        lambda: hermite_coefficients("tanh", 2.5),
        lambda: hermite_coefficients("tanh", True),
        lambda: hermite_coefficients("tanh", 3, digits=0),
        lambda: hermite_coefficients("tanh", 3, method="magic"),
        lambda: hermite_coefficients("tanh", 3, digits=20, method="float"),
        lambda: hermite_coefficients("tanh", 3, digits=101),
        lambda: hermite_coefficients("tanh", 401),
        lambda: hermite_coefficients("tanh", 41, digits=20),
        lambda: hermite_coefficients("tanh", 41, method="mpmath"),
        lambda: shifted_moments("tanh", [0.0], 0.0),
        lambda: shifted_moments("tanh", [0.0], -2.0),
        lambda: shifted_moments("tanh", [np.nan], 1.0),
        lambda: shifted_moments("tanh", [0.0], 1.0, orders=(-1,)),
        lambda: shifted_coefficients("tanh", [0.0], float("inf")),
    ],
)
def test_invalid_parameters(call):
    with pytest.raises(InvalidParameterError):
        call()


def test_hermite_norm2_precise():
    pc = hermite_norm2("erf", digits=25)
    with mpmath.workdps(35):
        assert abs(pc.norm2 - 2 / mpmath.pi * mpmath.asin(mpmath.mpf(2) / 3)) < mpmath.mpf(10) ** -26
        assert abs(pc.mu1 - 2 / mpmath.sqrt(3 * mpmath.pi)) < mpmath.mpf(10) ** -30
    assert pc.method == "exact"
    d = pc.to_dict()
    assert set(d) >= {"mu0", "mu1", "mu_star", "norm2"} and "method" not in d
    t = hermite_norm2("tanh", digits=20)
    assert float(t.mu_star) == pytest.approx(hermite_constants("tanh").mu_star, abs=1e-13)
    with pytest.raises(InvalidParameterError):
        hermite_norm2("tanh", digits=0)
