"""Tests of asymptotics.gaussian: quadrature rules and Gaussian expectations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special

from asymptotics.errors import InvalidParameterError
from asymptotics.gaussian import (
    bivariate_gaussian_expectation,
    gauss_hermite_rule,
    gauss_legendre_rule,
    gaussian_expectation,
    gaussian_expectation_panels,
    gaussian_rule,
    normalized_hermite,
    shifted_gaussian_expectation,
    shifted_gaussian_rule,
)

relu = lambda x: np.maximum(x, 0.0)  # noqa: E731


def test_gauss_hermite_moments_and_cache():
    x, w = gauss_hermite_rule(10)
    assert w.sum() == pytest.approx(1.0, abs=1e-15)
    for m in range(0, 20, 2):
        assert w @ x**m == pytest.approx(float(special.factorial2(m - 1)) if m else 1.0, rel=1e-12)
    assert gauss_hermite_rule(10)[0] is x  # cached
    with pytest.raises(ValueError):
        x[0] = 1.0  # read-only


def test_rules_read_only_and_cached():
    x, w = gaussian_rule((0.0,))
    assert not x.flags.writeable and not w.flags.writeable
    assert gaussian_rule([0.0])[0] is x
    gx, gw = gauss_legendre_rule(7)
    assert not gx.flags.writeable and gw.sum() == pytest.approx(2.0)


def test_panel_rule_exact_for_kinks():
    assert gaussian_expectation_panels(relu) == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-15)
    assert gaussian_expectation_panels(np.abs) == pytest.approx(math.sqrt(2 / math.pi), abs=1e-15)
    assert gaussian_expectation_panels(lambda x: np.sign(x) * x) == pytest.approx(math.sqrt(2 / math.pi), abs=1e-15)
    assert gaussian_expectation_panels(lambda x: x**2) == pytest.approx(1.0, abs=1e-14)
    # a kink away from 0 needs its breakpoint
    exact = math.exp(-0.5) / math.sqrt(2 * math.pi) - (1 - special.ndtr(1.0))
    val = gaussian_expectation_panels(lambda x: np.maximum(x - 1.0, 0.0), breakpoints=(0.0, 1.0))
    assert val == pytest.approx(exact, abs=1e-15)


def test_gauss_hermite_slow_for_kinks_but_fine_for_smooth():
    assert gaussian_expectation(np.cos) == pytest.approx(math.exp(-0.5), abs=1e-15)
    err_gh = abs(gaussian_expectation(np.abs, n=40) - math.sqrt(2 / math.pi))
    assert err_gh > 1e-6  # this is why the panel rule exists


def test_normalized_hermite_orthonormal():
    x, w = gaussian_rule(())
    he = normalized_hermite(x, 15)
    gram = (he * w) @ he.T
    assert np.allclose(gram, np.eye(16), atol=1e-13)


@pytest.mark.parametrize("c", [0.05, 1.0, 4.0])
def test_shifted_expectation_closed_forms(c):
    s = np.linspace(-4, 4, 17)
    rc = math.sqrt(c)
    got = shifted_gaussian_expectation(special.erf, s, c, hermite_orders=(0, 1))
    assert np.allclose(got[0], special.erf(s / math.sqrt(1 + 2 * c)), atol=1e-13, rtol=0)
    d1 = rc * 2 / math.sqrt(math.pi) * np.exp(-s**2 / (1 + 2 * c)) / math.sqrt(1 + 2 * c)
    assert np.allclose(got[1], d1, atol=1e-13, rtol=0)
    r = shifted_gaussian_expectation(relu, s, c)
    exact = s * special.ndtr(s / rc) + rc * np.exp(-s**2 / (2 * c)) / math.sqrt(2 * math.pi)
    assert np.allclose(r, exact, atol=1e-13, rtol=0)
    sg = shifted_gaussian_expectation(np.sign, s, c)
    assert np.allclose(sg, special.erf(s / math.sqrt(2 * c)), atol=1e-13, rtol=0)


def test_shifted_rule_fixed_shape_and_scalar():
    z, w = shifted_gaussian_rule(np.array([-30.0, 0.0, 0.1]), 2.0)
    assert z.shape == w.shape and np.allclose(w.sum(axis=1), 1.0, atol=1e-14)
    val = shifted_gaussian_expectation(np.cos, 0.3, 0.7)
    assert np.ndim(val) == 0
    assert float(val) == pytest.approx(math.cos(0.3) * math.exp(-0.35), abs=1e-14)


def test_shifted_chunking_consistent():
    s = np.linspace(-2, 2, 50)
    a = shifted_gaussian_expectation(np.tanh, s, 1.3, hermite_orders=(0, 2), chunk_nodes=1000)
    b = shifted_gaussian_expectation(np.tanh, s, 1.3, hermite_orders=(0, 2))
    assert np.array_equal(a.shape, (2, 50)) and np.allclose(a, b, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(rho=st.floats(-1.0, 1.0))
def test_bivariate_arccos_kernel(rho):
    exact = (math.sqrt(max(1 - rho * rho, 0.0)) + rho * (math.pi - math.acos(rho))) / (2 * math.pi)
    assert bivariate_gaussian_expectation(relu, relu, rho) == pytest.approx(exact, abs=1e-12)


def test_bivariate_sign_kernel():
    for rho in (-0.9, 0.0, 0.4, 0.999, -0.99999):
        exact = 2 / math.pi * math.asin(rho)
        assert bivariate_gaussian_expectation(np.sign, np.sign, rho) == pytest.approx(exact, abs=1e-10)


def test_invalid_parameters():
    with pytest.raises(InvalidParameterError):
        gauss_hermite_rule(0)
    with pytest.raises(InvalidParameterError):
        gaussian_rule(cutoff=-1.0)
    with pytest.raises(InvalidParameterError):
        shifted_gaussian_expectation(np.tanh, [0.0], 0.0)
    with pytest.raises(InvalidParameterError):
        shifted_gaussian_expectation(np.tanh, [0.0], -1.0)
    with pytest.raises(InvalidParameterError):
        shifted_gaussian_expectation(np.tanh, [0.0], 1.0, hermite_orders=(-1,))
    with pytest.raises(InvalidParameterError):
        bivariate_gaussian_expectation(np.tanh, np.tanh, 1.5)
    with pytest.raises(InvalidParameterError):
        normalized_hermite(np.zeros(2), -1)


def test_non_finite_raises():
    from asymptotics.errors import ActivationError

    with pytest.raises(ActivationError):
        gaussian_expectation(lambda x: np.full_like(x, np.nan))
    with pytest.raises(ActivationError), np.errstate(all="ignore"):
        shifted_gaussian_expectation(lambda x: 1.0 / (x - x), [0.0], 1.0)
