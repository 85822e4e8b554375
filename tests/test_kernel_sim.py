"""Kernel-regime simulations: targets, exact-kernel KRR vs the §6.4 equivalent, lazy RF/NT models,
QuadNTK and the regularized network (docs/theory/kernels.md §2.1, §3.2, §5.1, §6)."""

import math

import numpy as np
import pytest

from asymptotics.errors import InvalidParameterError
from asymptotics.kernels.theory import KernelRidge, dot_product_kernel
from asymptotics.validation.kernels.beyond_kernel import (
    TrainConfig,
    _batch,
    network_output,
    ntk_term,
    polynomial_projector,
    quad_term,
    quadntk_loss_grad,
    regularized_loss_grad,
    symmetric_init,
    train_quadntk,
    train_regularized,
)
from asymptotics.validation.kernels.figures import sample_size_to_reach, staircase_data
from asymptotics.validation.kernels.simulation import (
    harmonic_target,
    kernel_gram,
    lazy_features,
    low_degree_plus_sparse,
    simulate_krr,
    simulate_krr_seed,
    sphere_inputs,
)
from asymptotics.validation.store import Checkpoint

ACT = "tanh(z + 1/2)"


# --------------------------------------------------------------------------------------------
# targets


def _gram_of_terms(target, n, seed):
    X = sphere_inputs(n, target.d, np.random.default_rng(seed))
    V = np.stack([t(X) for t in target.terms])
    prods = V[:, None, :] * V[None, :, :]
    return prods.mean(-1), prods.std(-1, ddof=1) / math.sqrt(n)


@pytest.mark.parametrize("style", ["product", "dense"])
def test_harmonic_terms_are_orthonormal_on_the_sphere(style):
    t = harmonic_target("0:0.5,1:1,2:1,3:0.25", 9, np.random.default_rng(3), style=style)
    assert t.profile.F2 == pytest.approx((0.5, 1.0, 1.0, 0.25))
    coefs = np.array([u.coef for u in t.terms])
    G, S = _gram_of_terms(t, 200_000, 1)
    G, S = G / np.outer(coefs, coefs), S / np.outer(coefs, coefs)
    assert np.all(np.abs(G - np.eye(len(coefs))) <= 5 * S + 1e-12), (G, S)


def test_low_degree_plus_sparse_profile_and_orthogonality():
    t = low_degree_plus_sparse(8, np.random.default_rng(0), dense={1: 1.0, 2: 0.5}, sparse={3: 1.0, 4: 0.25})
    assert [u.kind for u in t.terms] == ["linear", "quadratic", "zonal", "zonal"]
    assert t.profile.F2 == pytest.approx((0.0, 1.0, 0.5, 1.0, 0.25))
    # sparse part depends on x_1 only
    X = sphere_inputs(5, 8, np.random.default_rng(1))
    X2 = X.copy()
    X2[:, 1:] = X2[:, 1:][:, ::-1]
    assert np.allclose(t.part([3, 4])(X), t.part([3, 4])(X2))
    coefs = np.array([u.coef for u in t.terms])
    G, S = _gram_of_terms(t, 200_000, 2)
    G, S = G / np.outer(coefs, coefs), S / np.outer(coefs, coefs)
    assert np.all(np.abs(G - np.eye(4)) <= 5 * S + 1e-12), (G, S)


def test_target_validation():
    with pytest.raises(InvalidParameterError):
        harmonic_target("1:1,2:1,3:1", 5)      # product blocks need 1+2+3 <= d
    with pytest.raises(InvalidParameterError):
        harmonic_target("1:1", 5, style="dense")  # needs an rng
    with pytest.raises(InvalidParameterError):
        low_degree_plus_sparse(8, np.random.default_rng(0), dense={2: 1}, sparse={2: 1})


# --------------------------------------------------------------------------------------------
# KRR simulation vs the deterministic equivalent


def test_krr_simulation_matches_deterministic_equivalent_small_d():
    # docs/theory/kernels.md §6.7 target and noise at d = 12; pinned seeds; criterion of the staircase figure
    s = KernelRidge("ntk", "relu", d=12, n=300, lam=0.01, noise=0.5, target="1:1,2:1,3:0.25,4:0.25")
    sim = simulate_krr(s, seeds=range(6), n_test=1500)
    th = sim.theory.test_error
    assert sim.test_error_sem > 0
    assert abs(sim.test_error_mean - th) <= 0.05 * th + 3 * sim.test_error_sem, (sim.test_error_mean, sim.test_error_sem, th)


def test_krr_checkpoint_resumes(tmp_path):
    s = KernelRidge("rf", "relu", d=6, n=40, lam=0.1, noise=0.1, target="1:1")
    p = tmp_path / "ck.json"
    a = simulate_krr(s, seeds=2, n_test=100, checkpoint=Checkpoint(p, {"x": 1}))
    b = simulate_krr(s, seeds=2, n_test=100, checkpoint=Checkpoint(p, {"x": 1}))
    assert a.to_dict() == b.to_dict()


# --------------------------------------------------------------------------------------------
# lazy models


@pytest.mark.parametrize("kind", ["rf", "ntk"])
def test_lazy_gram_converges_to_kernel(kind):
    d = 10
    X = sphere_inputs(60, d, np.random.default_rng(0))
    K = kernel_gram(dot_product_kernel(ACT, kind), X)
    errs = [np.abs(lazy_features(kind, ACT, m, d, np.random.default_rng(1)).gram(X) - K).max() for m in (100, 10_000)]
    assert errs[1] < 0.25 * errs[0]            # ~ 1/√m: a factor 10 expected
    assert errs[1] < 0.05 * np.abs(K).max()


@pytest.mark.parametrize("kind", ["rf", "ntk"])
def test_lazy_risk_approaches_exact_kernel(kind):
    s = KernelRidge(kind, ACT, d=8, n=80, lam=0.05, noise=0.2, target="1:1,2:0.5")
    exact = simulate_krr_seed(s, 0, 500).test_error
    gaps = [abs(simulate_krr_seed(s, 0, 500, model=kind, m=m).test_error - exact) for m in (10, 20_000)]
    assert gaps[1] < 0.2 * gaps[0] and gaps[1] < 0.02 * exact


# --------------------------------------------------------------------------------------------
# beyond the kernel


def _setup(m=16, d=6, n=30, seed=0):
    rng = np.random.default_rng(seed)
    init = symmetric_init(m, d, ACT, rng)
    X = sphere_inputs(n, d, rng)
    y = rng.standard_normal(n)
    return init, X, y, rng


def test_outputs_are_exactly_zero_at_symmetric_init():
    init, X, _, rng = _setup()
    half = rng.standard_normal((init.m // 2, init.d))
    W = np.vstack([half, half])                  # pairwise-equal movement (QuadNTK init)
    assert np.all(quad_term(init, W, X) == 0.0)
    assert np.all(ntk_term(init, W, X) == 0.0)
    assert np.all(network_output(init, np.zeros_like(W), X) == 0.0)
    # ... but the QuadNTK gradient is not zero there (the pairs separate)
    _, g = quadntk_loss_grad(init, W * 0.1, _batch(init, X, np.ones(len(X))), 0.0)
    assert np.abs(g).max() > 1e-3


def test_taylor_terms_match_network():
    init, X, _, rng = _setup()
    W = rng.standard_normal((init.m, init.d))
    t = 1e-3
    f = network_output(init, t * W, X)
    assert np.allclose(f, t * ntk_term(init, W, X) + t * t * quad_term(init, W, X), atol=50 * t**3)


def _fd_pairs(fun, W, rng, h=1e-6, k=5):
    """(central finite difference, analytic directional derivative) along k random directions."""
    _, g = fun(W)
    out = []
    for _ in range(k):
        V = rng.standard_normal(W.shape)
        out.append(((fun(W + h * V)[0] - fun(W - h * V)[0]) / (2 * h), float(np.sum(g * V))))
    return np.array(out)


def test_quadntk_gradient_matches_finite_differences():
    init, X, y, rng = _setup()
    b = _batch(init, X, y)
    W = 0.3 * rng.standard_normal((init.m, init.d))
    fd, an = _fd_pairs(lambda W: quadntk_loss_grad(init, W, b, 1e-2), W, rng).T
    np.testing.assert_allclose(fd, an, rtol=1e-5, atol=1e-8)


def test_regularized_gradient_matches_finite_differences():
    init, X, y, rng = _setup()
    Xu = sphere_inputs(200, init.d, rng)
    Q = polynomial_projector(Xu, 2)
    assert np.allclose(Q.T @ Q, np.eye(Q.shape[1]))
    b, U = _batch(init, X, y), _batch(init, Xu, np.zeros(200))
    W = 0.3 * rng.standard_normal((init.m, init.d))
    fd, an = _fd_pairs(lambda W: regularized_loss_grad(init, W, b, U, Q, 0.7, 1e-2), W, rng).T
    np.testing.assert_allclose(fd, an, rtol=1e-5, atol=1e-8)


def test_penalty_ignores_low_degree_ntk_term():
    # a movement whose NTK term is a degree ≤ 2 polynomial costs (almost) nothing: for σ' ≡ const
    # (linear activation) f_L is linear in x, so the penalty vanishes up to rounding
    rng = np.random.default_rng(0)
    init = symmetric_init(8, 5, "linear", rng)
    Xu = sphere_inputs(300, 5, rng)
    U = _batch(init, Xu, np.zeros(300))
    W = rng.standard_normal((8, 5))
    loss, _ = regularized_loss_grad(init, W, _batch(init, Xu[:5], np.zeros(5)), U, polynomial_projector(Xu, 1), 1.0, 0.0)
    assert loss == pytest.approx(0.5 * np.mean(network_output(init, W, Xu[:5]) ** 2), abs=1e-20)


@pytest.mark.parametrize("train", [train_quadntk, train_regularized])
def test_training_is_reproducible_and_learns(train):
    tg = low_degree_plus_sparse(6, np.random.default_rng(0))
    cfg = TrainConfig(m=32, steps=60, lr=1.0, n_unlabeled=200)
    a = train(tg, 40, seed=3, cfg=cfg, n_test=200)
    b = train(tg, 40, seed=3, cfg=cfg, n_test=200)
    c = train(tg, 40, seed=4, cfg=cfg, n_test=200)
    assert a.to_dict() == b.to_dict()
    assert a.test_error != c.test_error
    assert a.losses[-1] < 0.5 * a.losses[0]     # the training loss decreases


def test_odd_width_rejected():
    with pytest.raises(InvalidParameterError):
        symmetric_init(7, 5, ACT, np.random.default_rng(0))


def test_sample_size_to_reach():
    assert sample_size_to_reach([10, 100], [1.0, 0.0], 0.5) == pytest.approx(math.sqrt(1000))
    assert sample_size_to_reach([10, 100], [0.4, 0.1], 0.5) == 10
    assert sample_size_to_reach([10, 100], [0.9, 0.6], 0.5) is None


@pytest.mark.slow
def test_staircase_agreement_d40():
    data = staircase_data(ds=(40,), kappas=(1.5, 2.0, 2.25), seeds=3, n_test=2000)
    assert all(r[-1] for r in data.rows), data.to_markdown()


def test_component_residuals():
    t = low_degree_plus_sparse(8, np.random.default_rng(0))
    X = sphere_inputs(50_000, 8, np.random.default_rng(1))
    sparse = t.part([3])
    res = t.component_residuals(t(X) - 0.5 * sparse(X), X)     # half of the sparse part missing
    assert res[3] == pytest.approx(0.25, abs=0.03) and res[2] < 0.01


def test_figure_writers_produce_all_files(tmp_path):
    from asymptotics.validation.kernels.figures import escape_data, write_escape_figure, write_staircase_figure

    st = staircase_data(ds=(6,), kappas=(1.0, 2.0), seeds=2, n_test=100, max_n=60, lam=0.01, target="1:1,2:0.5")
    assert len(st.rows) == 2 and st.to_markdown().count("\n") == 4
    paths = write_staircase_figure(st, tmp_path, "st")
    es = escape_data(ds=(6,), kappas=(1.5, 2.0), seeds=2, cfg=TrainConfig(m=8, steps=5, n_unlabeled=100), n_test=50,
                     checkpoint=tmp_path / "ck.json")
    assert {r[0] for r in es.rows} == {"ntk_krr", "quadntk", "regularized", "network_gd"}
    assert set(es.sample_sizes()) == {"ntk_krr", "quadntk", "regularized", "network_gd"}
    paths |= {f"e{k}": v for k, v in write_escape_figure(es, tmp_path, "esc").items()}
    for p in paths.values():
        assert (tmp_path / p.split("/")[-1]).stat().st_size > 0
