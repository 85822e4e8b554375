"""Exact Gaussian test risk (Mehler series) against test-point Monte Carlo and closed forms."""

import numpy as np
import pytest

from asymptotics import OneStep
from asymptotics.errors import InvalidParameterError
from asymptotics.validation.data import gaussian_inputs, teacher_labels
from asymptotics.validation.one_step.exact_risk import exact_risk, scaled_hermite_coefficients
from asymptotics.validation.one_step.simulation import features_matrix, simulate_one_step


def test_linear_network_closed_form():
    """σ = σ* = linear: f̂ − f* = (W â/√N − β)ᵀx, so R = ‖W â/√N − β‖² exactly."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((30, 12)) * 0.3
    a, beta = rng.standard_normal(12), np.eye(30)[3]
    expected = np.sum((W @ a / np.sqrt(12) - beta) ** 2)
    assert exact_risk(W, a, beta, "linear", "linear") == pytest.approx(expected, rel=1e-12)


def test_scaled_coefficients_relu_closed_form():
    s = np.array([0.5, 1.0, 1.7])
    C = scaled_hermite_coefficients("relu", s, 2)
    np.testing.assert_allclose(C[:, 0], s / np.sqrt(2 * np.pi), rtol=1e-13)
    np.testing.assert_allclose(C[:, 1], s / 2, rtol=1e-13)


@pytest.mark.parametrize("student,teacher", [("tanh", "tanh"), ("relu", "centered:relu")])
def test_matches_test_points(student, teacher):
    """Against 200k test points on one trained network: within 4 standard errors of the points."""
    s = OneStep(student, teacher, psi1=2, psi2=1, lam=1e-2, eta=2, noise=0.1)
    rng = np.random.default_rng(3)
    d, N = 64, 64
    W = rng.standard_normal((d, N)) / np.sqrt(d)
    beta = np.eye(d)[0]
    W[:, :8] += 0.3 * beta[:, None]  # some neurons correlated with the teacher
    a = rng.standard_normal(N)
    exact = exact_risk(W, a, beta, s.student, s.teacher)
    X = gaussian_inputs(200_000, d, rng)
    e2 = (features_matrix(X, W, s.student) @ a - teacher_labels(X, beta, s.teacher)) ** 2
    sem = e2.std() / np.sqrt(e2.size)
    assert abs(e2.mean() - exact) < 4 * sem, (e2.mean(), sem, exact)


def test_simulation_option_and_errors():
    s = OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=2, noise=0.1)
    ex = simulate_one_step(s, d=64, seeds=2, test_risk="exact")
    mc = simulate_one_step(s, d=64, seeds=2, n_test=20000)
    assert ex.to_dict()["test_risk"] == "exact"
    for a, b in zip(ex.per_seed, mc.per_seed):  # same networks and readouts, different risk estimate
        assert a.train_error == b.train_error
        assert a.test_error == pytest.approx(b.test_error, rel=0.05)
    with pytest.raises(InvalidParameterError):
        simulate_one_step(s, d=64, seeds=1, test_risk="exact", features="gaussian-equivalent")
    with pytest.raises(InvalidParameterError, match="correlation"):
        W = np.ones((5, 3)) + 1e-9 * np.arange(15).reshape(5, 3)
        exact_risk(W, np.ones(3), np.eye(5)[0], "tanh", "tanh")
