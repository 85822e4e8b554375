"""The measured validity map of the sRF theory, as attached to results (asymptotics.spiked_rf.validity)."""

import pytest

from asymptotics import GiantStep, InvalidParameterError, srf_validity


@pytest.mark.parametrize("student, alpha0, eta_tilde, status", [
    ("tanh", 0.5, 1, "validated"),       # validity_map: +0.1 / +2.8 % at d = 2048
    ("relu", 2, 1, "validated"),         # −0.7 / +2.5 % at d = 2048
    ("tanh", 0.5, 4, "inaccurate"),      # +15 % at α = 3, d = 2048
    ("relu", 0.5, 4, "inaccurate"),      # −21 % at α = 1, d = 2048
    ("relu", 2, 4, "inaccurate"),        # −9.8 % at α = 1, d = 2048 (Check D)
    ("tanh", 2, 4, "validated"),         # within ±6 %
    ("tanh", 20, 8, "unmapped"),
    ("tanh", 0, 4, "validated"),         # no step: random features
])
def test_status_follows_the_measured_map(student, alpha0, eta_tilde, status):
    v = srf_validity(GiantStep(student, "tanh", alpha0=alpha0, eta_tilde=eta_tilde, alpha=1, lam=0.01))
    assert v.status == status and v.note and v.record.startswith("results/")


def test_rejects_non_settings():
    with pytest.raises(InvalidParameterError):
        srf_validity("tanh")


@pytest.mark.parametrize("student", ["Max(z, 0)", "abs(z)", "centered:relu"])
def test_kinked_students_are_recognised_by_their_breakpoints(student):
    v = srf_validity(GiantStep(student, "tanh", alpha0=2, eta_tilde=4, alpha=1, lam=0.01))
    assert v.status == "inaccurate" and "kinked" in v.note
