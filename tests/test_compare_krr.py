"""compare_krr: the KRR theory-vs-simulation table is the theory and the per-seed Monte Carlo, exactly."""

import math

import pytest

from asymptotics.errors import InvalidParameterError
from asymptotics.kernels.theory import krr_risk
from asymptotics.settings import KernelRidge
from asymptotics.validation.kernels.comparison import compare_krr
from asymptotics.validation.kernels.simulation import simulate_krr
from asymptotics.validation.summary import mean_sem

SETTINGS = [KernelRidge("ntk", "relu", d=8, n=n, lam=0.01, noise=0.1, target="1:1,2:0.5") for n in (40, 80)]


def test_rows_are_theory_and_monte_carlo_of_the_same_seeds():
    table = compare_krr(SETTINGS, seeds=[0, 3, 5], n_test=300)
    assert [r.setting for r in table.rows] == SETTINGS
    for row, s in zip(table.rows, SETTINGS):
        sim = simulate_krr(s, seeds=[0, 3, 5], n_test=300)
        assert row.test_error_theory == krr_risk(s).test_error
        assert (row.test_error_mean, row.test_error_sem) == (sim.test_error_mean, sim.test_error_sem)
        assert (row.train_error_mean, row.train_error_sem) == mean_sem([r.train_error for r in sim.per_seed])
        assert math.isnan(row.test_error_finite_d) and row.d == 8
    csv = table.to_csv().splitlines()
    assert len(csv) == 3 and csv[0].startswith("label,d,seeds,test_error_theory")


def test_checkpoint_resume_is_identical(tmp_path):
    ckpt = tmp_path / "krr.json"
    first = compare_krr(SETTINGS[:1], seeds=2, n_test=200, checkpoint=str(ckpt)).to_dict()
    again = compare_krr(SETTINGS[:1], seeds=2, n_test=200, checkpoint=str(ckpt)).to_dict()
    assert first["rows"] == again["rows"]


def test_wrong_setting_type_is_refused():
    with pytest.raises(InvalidParameterError):
        compare_krr(["not a setting"], seeds=1)


def test_settings_differing_only_in_noise_do_not_share_checkpoint_records(tmp_path):
    """One checkpoint, two settings equal but for the noise: each row is its own Monte Carlo."""
    a, b = SETTINGS[0], SETTINGS[0].replace(noise=1.0)
    table = compare_krr([a, b], seeds=2, n_test=200, checkpoint=str(tmp_path / "k.json"))
    for row, s in zip(table.rows, (a, b)):
        assert row.test_error_mean == simulate_krr(s, seeds=2, n_test=200).test_error_mean
    assert table.rows[0].test_error_mean != table.rows[1].test_error_mean
