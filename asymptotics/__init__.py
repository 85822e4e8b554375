"""High-dimensional asymptotics of two-layer networks after one gradient step.

Pure theory: settings in, frozen result dataclasses out (no simulation, no plotting, no I/O).

>>> from asymptotics import OneStep, one_step_risk
>>> round(one_step_risk(OneStep("tanh", "tanh", psi1=2, psi2=2, lam=1e-2, eta=2, noise=0.1)).test_error, 4)
0.1178
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _dist_version

try:  # one source for the version: the installed distribution's metadata (pyproject.toml)
    __version__ = _dist_version("twolayer-asymptotics")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

#: public name -> submodule that defines it.  Submodules are imported on first access (PEP 562), so
#: ``import asymptotics`` and a theory command do not pay for sympy unless they use it.
_EXPORTS = {
    "activations": ("Activation", "REGISTRY_NAMES", "get_activation",),
    "errors": ("ActivationError", "AsymptoticsError", "ConvergenceError", "DegenerateActivationError", "InvalidParameterError", "RootFindingError", "UnknownActivationError", "ExpressionError", "ResourceError",),
    "hermite": ("HermiteCoefficients", "HermiteConstants", "hermite_coefficients", "hermite_constants",),
    "one_step.theory": ("LargeStepLimit", "OneStepRisk", "kernel_lower_bound", "large_step_limit", "one_step_curve", "one_step_risk", "one_step_risk_on_weights", "rf_risk", "spike",),
    "settings": ("GiantStep", "KernelRidge", "OneStep", "TargetProfile",),
    "results": ("CORE_FIELDS", "TheoryResult",),
    "fixed_point": ("FixedPointResult", "solve_along", "solve_fixed_point",),
    "spiked_rf.theory": ("OptimalRidge", "SRFParameters", "SRFRisk", "optimal_ridge", "srf_curve", "srf_parameters", "srf_risk",),
    "gegenbauer": ("gegenbauer_coefficients", "harmonic_dimension",),
    "kernels.theory": ("KRRRisk", "KRRTransition", "dot_product_kernel", "kernel_gegenbauer", "krr_curve", "krr_risk", "krr_staircase", "krr_transition",),
    "kernels.sample_complexity": ("SampleComplexity", "krr_sample_complexity", "krr_sample_complexity_curve", "transition_psi",),
    "spiked_rf.validity": ("Validity", "srf_validity",),
    "spiked_rf.heterogeneous": ("SpikeLaw", "HeteroSRFRisk", "HeteroOrderParameters", "hetero_srf_risk", "hetero_srf_curve", "ClassMarchenkoPastur", "ClassEmpiricalSpectrum", "SpikeBulkScaled", "BaLargeStep", "ba_large_step", "large_step_risk",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

#: the families (subpackages), importable as attributes: ``asymptotics.one_step.theory``
_SUBPACKAGES = ("one_step", "spiked_rf", "kernels")

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _SUBPACKAGES:  # asymptotics.one_step etc. without an explicit import
        return import_module(f".{name}", __name__)
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'asymptotics' has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # cache: the next access is a plain attribute lookup
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
