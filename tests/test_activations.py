"""Activation registry, expression parsing and the square-integrability check."""

import numpy as np
import pytest

from asymptotics.activations import REGISTRY_NAMES, get_activation
from asymptotics.errors import ActivationError, UnknownActivationError

REQUIRED = ["linear", "tanh", "erf", "relu", "softplus", "sigmoid", "gelu", "silu", "sin", "cos",
            "sign", "abs", "he1", "he2", "he3", "he4", "he5", "he6"]


def test_registry_has_required_names():
    assert set(REQUIRED) <= set(REGISTRY_NAMES)


@pytest.mark.parametrize("name", REQUIRED)
def test_numpy_matches_sympy_and_derivative(name):
    act = get_activation(name)
    x = np.linspace(-3.3, 3.1, 41)  # avoids the kink at 0 exactly
    expr_vals = get_activation(str(act.expr)).fn(x) if name not in ("sign",) else np.sign(x)
    np.testing.assert_allclose(act(x), expr_vals, rtol=1e-12, atol=1e-12)
    h = 1e-6
    fd = (act(x + h) - act(x - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(x), fd, rtol=1e-6, atol=1e-6)


def test_expression_and_centered():
    act = get_activation("tanh(z) + 0.1*z**2")
    assert act(1.0) == pytest.approx(np.tanh(1.0) + 0.1)
    assert act.derivative(1.0) == pytest.approx(1 - np.tanh(1.0) ** 2 + 0.2)
    c = get_activation("centered:relu")
    assert c(0.0) == pytest.approx(-1 / np.sqrt(2 * np.pi))
    assert get_activation("relu(z) - 1/sqrt(2*pi)")(2.0) == pytest.approx(c(2.0))


def test_overflow_safe_registry():
    x = np.array([-800.0, 800.0])
    for name in ("softplus", "sigmoid", "silu", "gelu", "tanh"):
        assert np.all(np.isfinite(get_activation(name)(x)))


@pytest.mark.parametrize("bad", ["exp(z**2)", "exp(z**2/4)", "1/z", "1/sqrt(abs(z))"])
def test_not_square_integrable(bad):
    with pytest.raises(ActivationError, match="square-integrable"):
        get_activation(bad)


@pytest.mark.parametrize("ok", ["exp(z**2/5)", "log(abs(z))", "abs(z)**(-0.25)", "sign(z)*z**2"])
def test_square_integrable_accepted(ok):
    assert np.isfinite(get_activation(ok)(0.7))


@pytest.mark.parametrize("bad", ["foo", "x + 1", "tanh(", "", "   "])
def test_unknown_or_unparsable(bad):
    with pytest.raises(UnknownActivationError):
        get_activation(bad)


PIECEWISE = ["Max(z, 0)", "Min(z, 0)", "abs(z)", "Abs(z - 1)", "Heaviside(z)*z", "relu(z)", "relu(z - 1)",
             "sign(z)*z**2", "sign(z)", "Heaviside(z)", "Max(z, tanh(z))", "Min(z, z**2)"]


@pytest.mark.parametrize("text", PIECEWISE)
def test_piecewise_expression_derivative(text):
    """a.e. derivative of kinked / jumping expressions (Dirac masses dropped) = finite differences."""
    act = get_activation(text)
    x = np.linspace(-3.3, 3.1, 41)  # no breakpoint (0, 1, the crossings of Max/Min) on the grid
    h = 1e-6
    fd = (act(x + h) - act(x - h)) / (2 * h)
    d = act.derivative(x)
    assert d.shape == x.shape and np.all(np.isfinite(d))
    np.testing.assert_allclose(d, fd, rtol=1e-6, atol=1e-6)


def test_expression_constants_and_large_step_match_registry():
    from asymptotics.hermite import hermite_constants
    from asymptotics.one_step.theory import large_step_limit

    a, b = hermite_constants("Max(z, 0)"), hermite_constants("relu")
    for k in ("mu0", "mu1", "mu_star", "mean_derivative", "var_derivative", "mean_z_derivative"):
        assert getattr(a, k) == pytest.approx(getattr(b, k), abs=1e-13), k
    s = hermite_constants("sign(z)*z**2")  # E f' = E[2|z|] = 2 sqrt(2/pi) = mu1 (Stein, f continuous)
    assert s.mean_derivative == pytest.approx(2 * np.sqrt(2 / np.pi), abs=1e-12)
    assert s.mu1 == pytest.approx(s.mean_derivative, abs=1e-12)
    la, lb = large_step_limit("Max(z, 0)", "tanh"), large_step_limit("relu", "tanh")
    assert la.tau_star == pytest.approx(lb.tau_star, abs=1e-12)
    assert la.kappa_star == pytest.approx(lb.kappa_star, abs=1e-6)
