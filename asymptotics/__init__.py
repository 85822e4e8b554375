"""High-dimensional asymptotics of two-layer networks after one gradient step.

Pure theory: settings in, frozen result dataclasses out (no simulation, no plotting, no I/O).

>>> from asymptotics import OneStep, one_step_risk
>>> round(one_step_risk(OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=2, noise=0.1)).risk, 4)
0.1178
"""

__version__ = "0.1.0"

from .activations import Activation, REGISTRY_NAMES, get_activation
from .errors import (
    ActivationError,
    AsymptoticsError,
    ConvergenceError,
    DegenerateActivationError,
    InvalidParameterError,
    RootFindingError,
    UnknownActivationError,
)
from .hermite import HermiteCoefficients, HermiteConstants, hermite_coefficients, hermite_constants
from .onestep import (
    LargeStepLimit,
    OneStepRisk,
    kernel_lower_bound,
    large_step_limit,
    one_step_curve,
    one_step_risk,
    one_step_risk_on_weights,
    rf_risk,
    spike,
)
from .settings import GiantStep, OneStep
from .fixed_point import FixedPointResult, solve_along, solve_fixed_point
from .srf import OptimalRidge, SRFParameters, SRFRisk, optimal_ridge, srf_curve, srf_parameters, srf_risk
from .gegenbauer import gegenbauer_coefficients, harmonic_dimension
from .kernels import (
    KernelRidge,
    KRRRisk,
    dot_product_kernel,
    kernel_gegenbauer,
    krr_risk,
    krr_risk_curve,
    krr_staircase,
    krr_transition,
)

__all__ = [
    "Activation", "REGISTRY_NAMES", "get_activation",
    "AsymptoticsError", "ActivationError", "ConvergenceError", "DegenerateActivationError",
    "InvalidParameterError", "RootFindingError", "UnknownActivationError",
    "HermiteCoefficients", "HermiteConstants", "hermite_coefficients", "hermite_constants",
    "LargeStepLimit", "OneStepRisk", "kernel_lower_bound", "large_step_limit", "one_step_curve",
    "one_step_risk", "one_step_risk_on_weights", "rf_risk", "spike", "OneStep", "GiantStep",
    "FixedPointResult", "solve_fixed_point", "solve_along",
    "SRFParameters", "SRFRisk", "OptimalRidge", "srf_parameters", "srf_risk", "srf_curve", "optimal_ridge",
    "gegenbauer_coefficients", "harmonic_dimension",
    "KernelRidge", "KRRRisk", "dot_product_kernel", "kernel_gegenbauer", "krr_risk", "krr_risk_curve",
    "krr_staircase", "krr_transition",
]
