"""Per-family adapters of a sweep: from a configuration to the library's theory and per-seed simulation.

A *configuration* is plain JSON data: ``{"setting": {...}, "inner": {name: [values]} | None,
"options": {...}}``.  ``setting`` holds the fields of the family's setting class (activations by name,
numbers as floats) except the inner axis when that axis is swept as a list; ``options`` the
simulation (or theory) options.  Each family turns a configuration into

* ``theory(configuration, d) -> rows``: the deterministic theory, one row per inner value
  (:func:`asymptotics.one_step.theory.one_step_curve` over λ,
  :func:`asymptotics.spiked_rf.theory.srf_curve` over α, :func:`asymptotics.kernels.theory.krr_risk`);
* ``simulate(configuration, d, seed) -> rows``: one seed of the Monte Carlo, one row per inner value
  (:func:`asymptotics.validation.one_step.simulation.simulate_seed`,
  :func:`asymptotics.validation.giant_step.simulation.simulate_giant_step_seed`,
  :func:`asymptotics.validation.kernels.simulation.simulate_krr_seed`);
* ``memory(configuration, d) -> bytes``: the peak-memory estimate of one simulation run (the
  family's ``*_memory`` function).

Every row has ``test_error`` and ``train_error`` (the shared vocabulary), the inner value under the
inner axis' name when there is one, and family diagnostics.  NaN is written as ``None``.

**The inner axis.**  A list of values that one sampled network serves is *one* run: λ for the
one-step family (the trained first layer W1, the readout batch and the test points do not depend on λ;
:func:`simulate_seed` is called once per λ on the network sampled once, or once for all λ when it
accepts a ``lams`` list), α for the giant step (:func:`readout_curve` fits every α on prefixes of one
readout sample).  The kernel family has none (the Gram matrix changes with n).  A row does not depend
on which other inner values were requested (the random streams are per quantity, see the simulation
modules), so the inner list is a pure grouping.

**Seeds.**  Every random quantity comes from the configuration and the seed index only, never from
worker state: the per-seed functions draw everything from ``SeedSequence(seed)``.  With
``streams = "common"`` (default) the seed passed is the seed index itself, so a sweep's record is
exactly what ``simulate_seed(setting, d, seed=k)`` (and ``asym simulate --seeds``) gives, and all
configurations of a sweep share their random draws for a given k (common random numbers: differences
between neighbouring configurations are measured with less noise).  With ``streams = "independent"``
the seed is the first 63 bits of sha256(configuration, d, k) (:func:`stream_seed`), so no two
configurations share draws.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from asymptotics.errors import InvalidParameterError
from asymptotics.settings import GiantStep, OneStep, check_choice, check_int, check_positive, check_range

__all__ = ["Family", "FAMILIES", "get_family", "field_of", "test_error_of", "stream_seed", "STREAMS"]

#: How a seed index becomes the seed of the per-seed functions (module docstring).
STREAMS = ("common", "independent")


# --------------------------------------------------------------------------------------------
# the one place where the result objects' field names are read (docs/vocabulary.md)


def field_of(result: Any, *names: str) -> Any:
    """The first of the attributes ``names`` that ``result`` has (None if none)."""
    for name in names:
        if hasattr(result, name):
            return getattr(result, name)
    return None


def test_error_of(result: Any) -> float:
    """The test error of a theory result or per-seed record (``test_error``, the shared vocabulary)."""
    return result.test_error


test_error_of.__test__ = False  # not a pytest test despite the name


def _kernel_ridge_class():
    try:  # the shared vocabulary moves KernelRidge to asymptotics.settings
        from asymptotics.settings import KernelRidge
    except ImportError:
        from asymptotics.kernels.theory import KernelRidge
    return KernelRidge


def _clean(x: Any) -> Any:
    """JSON-safe scalar: NaN / inf → None, numpy scalars → Python."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def stream_seed(configuration: dict, d: int, seed: int) -> int:
    """Seed of the ``"independent"`` streams: the first 63 bits of sha256 of the canonical JSON of
    (configuration, d, seed index).

    >>> stream_seed({"a": 1}, 8, 0) == stream_seed({"a": 1.0}, 8, 0), stream_seed({"a": 1}, 8, 0) < 2**63
    (False, True)
    """
    text = json.dumps({"configuration": configuration, "d": d, "seed": seed}, sort_keys=True,
                      separators=(",", ":"), allow_nan=False)
    return int(hashlib.sha256(text.encode()).hexdigest()[:16], 16) >> 1


# --------------------------------------------------------------------------------------------
# options


@dataclass(frozen=True)
class Option:
    """A simulation / theory option: default and validator (value -> canonical value or raise)."""

    default: Any
    check: Callable[[Any], Any]


def _choice(name, choices):
    return lambda v: check_choice(name, v, choices)


def _int_at_least(name, lo, meaning):
    return lambda v: check_int(name, v, lo, meaning)


def _n_test(v):
    from ..data import check_n_test
    return check_n_test(v)


def _optional_positive(name, meaning):
    return lambda v: None if v is None else check_positive(name, v, meaning)


_STREAMS_OPTION = Option("common", _choice("streams", STREAMS))

#: Kernel family: scale the sample size with d, n = round(n · d^κ) (the kernel regime's n ≍ d^κ; with
#: n = 1 the sample size is d^κ).  A theory and a simulation option alike, so both see the same n.
_N_EXPONENT_OPTION = Option(None, lambda v: None if v is None else check_range(
    "n_exponent", v, 0.0, 8.0, "the exponent κ of n = n·d^κ"))


# --------------------------------------------------------------------------------------------
# families


@dataclass(frozen=True)
class Family:
    """What a sweep needs to know about one family (see the module docstring)."""

    name: str
    description: str
    setting_fields: tuple
    _setting_class: Callable = field(repr=False)
    inner: "str | None"
    simulation_options: dict = field(repr=False)
    theory_options: dict = field(repr=False)
    theory_depends_on_d: bool
    min_d: int
    _make: Callable = field(repr=False)
    _canonical: Callable = field(repr=False)
    _theory: Callable = field(repr=False)
    _simulate: Callable = field(repr=False)
    _memory: Callable = field(repr=False)
    _check: "Callable | None" = field(default=None, repr=False)

    @property
    def required(self) -> tuple:
        """The setting fields without a default (read from the setting class, so they follow it)."""
        import dataclasses

        cls = self._setting_class()
        return tuple(f.name for f in dataclasses.fields(cls) if f.name in self.setting_fields
                     and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)

    def check(self, configuration: dict) -> None:
        """Cross-checks of a simulation configuration's setting and options (raise InvalidParameterError)."""
        if self._check is not None:
            self._check(self, configuration)

    def make_setting(self, fields: dict, d: "int | None" = None):
        """The validated setting object of ``fields`` (at dimension ``d`` for the kernel family)."""
        return self._make(fields, d)

    def canonical(self, fields: dict, d: "int | None" = None) -> dict:
        """Canonical JSON form of the setting ``fields`` (validated; numbers as floats, activations
        by name), so equal settings written differently hash equally."""
        out = self._canonical(fields, d)
        return {k: out[k] for k in self.setting_fields if k in out}  # constructor arguments only

    def theory(self, configuration: dict, d: "int | None") -> list:
        return self._theory(self, configuration, d)

    def simulate(self, configuration: dict, d: int, seed: int) -> list:
        return self._simulate(self, configuration, d, seed)

    def memory(self, configuration: dict, d: int) -> float:
        return self._memory(self, configuration, d)

    def settings_of(self, configuration: dict, d: "int | None" = None) -> list:
        """The settings of a configuration: one per inner value (or the single setting)."""
        fields = dict(configuration["setting"])
        inner = configuration.get("inner")
        if not inner:
            return [self.make_setting(fields, d)]
        (name, values), = inner.items()
        return [self.make_setting({**fields, name: v}, d) for v in values]

    def options(self, configuration: dict, kind: str = "simulation") -> dict:
        table = self.simulation_options if kind == "simulation" else self.theory_options
        given = configuration.get("options", {})
        return {k: given.get(k, opt.default) for k, opt in table.items()}


def _seed_for(configuration: dict, d: int, seed: int) -> int:
    if configuration.get("options", {}).get("streams", "common") == "independent":
        return stream_seed(configuration, d, seed)
    return seed


def _inner_values(configuration: dict):
    inner = configuration.get("inner")
    if not inner:
        return None, [None]
    (name, values), = inner.items()
    return name, list(values)


def _with_inner(rows: list, name: "str | None", values: list) -> list:
    if name is None:
        return rows
    return [{name: v, **r} for v, r in zip(values, rows)]


# ---------------------------------------------------------------- one step (Ba et al. 2022)


def _one_step_make(fields, d):
    return OneStep(**fields)


def _one_step_theory(fam: Family, configuration: dict, d) -> list:
    from asymptotics.one_step.theory import one_step_curve, one_step_risk

    name, values = _inner_values(configuration)
    base = fam.make_setting(configuration["setting"] if name is None
                            else {**configuration["setting"], name: values[0]})
    results = [one_step_risk(base)] if name is None else one_step_curve(base, name, values)
    rows = [{"test_error": _clean(test_error_of(r)), "train_error": _clean(r.train_error),
             "converged": bool(r.converged), "nit": int(r.nit), "residual": _clean(r.residual),
             "test_error_rf": _clean(r.test_error_rf),
             "alignment": _clean(r.alignment), "spike_norm": _clean(r.spike_norm)} for r in results]
    return _with_inner(rows, name, values)


def _one_step_simulate(fam: Family, configuration: dict, d: int, seed: int) -> list:
    from ..one_step import simulation as sim

    name, values = _inner_values(configuration)
    opts = fam.options(configuration)
    kw = dict(n_test=opts["n_test"], psi1_readout=opts["psi1_readout"], features=opts["features"],
              test_risk=opts["test_risk"])
    if opts["dtype"] != "float64":  # passed only when asked, so the default works with any version
        kw["dtype"] = opts["dtype"]
    s = _seed_for(configuration, d, seed)
    settings = fam.settings_of(configuration)
    if name is None:
        records = [sim.simulate_seed(settings[0], d, s, **kw)]
    elif "lams" in inspect.signature(sim.simulate_seed).parameters:  # one factorization for every λ
        records = list(sim.simulate_seed(settings[0], d, s, lams=values, **kw))
    else:  # one network for every λ (the gradient step does not depend on λ)
        network = sim.network_for_seed(settings[0], d, s)
        records = [sim.simulate_seed(st, d, s, network=network, **kw) for st in settings]
    rows = [{"test_error": _clean(test_error_of(r)), "train_error": _clean(r.train_error),
             "spike_norm": _clean(r.spike_norm), "alignment": _clean(r.alignment)}
            for r in records]
    return _with_inner(rows, name, values)


def _one_step_memory(fam: Family, configuration: dict, d: int) -> float:
    from ..one_step.network import one_step_sizes
    from ..one_step.simulation import one_step_memory

    opts = fam.options(configuration)
    st = fam.settings_of(configuration)[0]
    n2 = one_step_sizes(st, d)[1] if opts["psi1_readout"] is None else max(1, round(opts["psi1_readout"] * d))
    return one_step_memory(st, d, n2, opts["n_test"], None, opts["test_risk"])


# ---------------------------------------------------------------- giant step (Cui et al. 2024)


def _giant_make(fields, d):
    return GiantStep(**fields)


def _giant_theory(fam: Family, configuration: dict, d) -> list:
    from asymptotics.spiked_rf.theory import srf_curve

    name, values = _inner_values(configuration)
    fields = configuration["setting"]
    formula = fam.options(configuration, "theory")["formula"]
    if name is None:
        base = fam.make_setting(fields)
        param, vals = "alpha", [base.alpha]
    else:
        base, param, vals = fam.make_setting({**fields, name: values[0]}), name, values
    results = srf_curve(base, param, vals, formula=formula, raise_on_failure=False)
    rows = [{"test_error": _clean(r.test_error), "train_error": _clean(r.train_error),
             "converged": bool(r.converged), "nit": int(r.nit), "residual": _clean(r.residual),
             "r": _clean(r.srf.r), "c": _clean(r.srf.c), "gamma": _clean(r.srf.gamma)} for r in results]
    return _with_inner(rows, name, values)


def _giant_simulate(fam: Family, configuration: dict, d: int, seed: int) -> list:
    from ..giant_step.simulation import simulate_giant_step_seed

    name, values = _inner_values(configuration)
    opts = fam.options(configuration)
    st = fam.settings_of(configuration)[0]
    alphas = values if name == "alpha" else [st.alpha]
    recs = simulate_giant_step_seed(st, d, _seed_for(configuration, d, seed), alphas, model=opts["model"],
                                    n_test=opts["n_test"], dtype=opts["dtype"])
    rows = []
    for r in recs:
        row = {"test_error": _clean(r.test_error), "train_error": _clean(r.train_error)}
        if r.measured is not None:
            row.update(measured_r=_clean(r.measured.r), measured_c=_clean(r.measured.c),
                       measured_gamma=_clean(r.measured.gamma))
        rows.append(row)
    return _with_inner(rows, name, values)


def _giant_memory(fam: Family, configuration: dict, d: int) -> float:
    from ..giant_step.simulation import giant_step_memory

    name, values = _inner_values(configuration)
    st = fam.settings_of(configuration)[0]
    alphas = values if name == "alpha" else [st.alpha]
    return giant_step_memory(st, d, alphas, fam.options(configuration)["n_test"])


# ---------------------------------------------------------------- kernels (Nichani, Bai & Lee 2022)


def _kernel_make(fields, d):
    if d is None:
        raise InvalidParameterError("the kernels family needs a dimension d (KRR theory is at finite d)")
    return _kernel_ridge_class()(d=d, **fields)


def _kernel_canonical(fields, d):
    st = _kernel_make(fields, d)
    out = {k: v for k, v in st.to_dict().items() if k != "d"}
    if "target" in fields:  # the profile as written (a single-index target is decomposed at each d)
        out["target"] = fields["target"]
    return out


def _kernel_setting(fam: Family, configuration: dict, d: int, kind: str):
    """The KernelRidge of a run at dimension d; with the option ``n_exponent`` κ, n ← round(n · d^κ)."""
    fields = dict(configuration["setting"])
    kappa = fam.options(configuration, kind).get("n_exponent")
    if kappa is not None and d is not None:
        fields["n"] = float(max(1, round(float(fields["n"]) * float(d) ** kappa)))
    return fam.make_setting(fields, d)


def _kernel_theory(fam: Family, configuration: dict, d) -> list:
    from asymptotics.kernels.theory import krr_risk

    st = _kernel_setting(fam, configuration, d, "theory")
    r = krr_risk(st)
    return [{"test_error": _clean(r.test_error), "train_error": _clean(r.train_error), "n_samples": st.n,
             "converged": bool(getattr(r, "converged", True)), "nit": int(getattr(r, "nit", r.nfev)),
             "residual": _clean(getattr(r, "residual", 0.0)), "kappa": _clean(r.kappa),
             "bias": _clean(r.bias), "variance": _clean(r.variance)}]


def _kernel_simulate(fam: Family, configuration: dict, d: int, seed: int) -> list:
    from ..kernels.simulation import simulate_krr_seed

    opts = fam.options(configuration)
    st = _kernel_setting(fam, configuration, d, "simulation")
    r = simulate_krr_seed(st, _seed_for(configuration, d, seed),
                          opts["n_test"], style=opts["style"], model=opts["model"], m=opts["m"])
    return [{"test_error": _clean(r.test_error), "train_error": _clean(r.train_error), "n_samples": st.n}]


def _kernel_check(fam: Family, configuration: dict) -> None:
    opts = fam.options(configuration)
    if opts["model"] != "exact":
        if opts["m"] is None:
            raise InvalidParameterError(f"model {opts['model']!r} (a lazy model of m neurons) needs the option m")
        if configuration["setting"].get("kernel") != opts["model"]:
            raise InvalidParameterError(f"model {opts['model']!r} approximates the kernel {opts['model']!r}, "
                                        f"but the setting has kernel {configuration['setting'].get('kernel')!r}")


def _kernel_memory(fam: Family, configuration: dict, d: int) -> float:
    from ..kernels.simulation import krr_memory

    opts = fam.options(configuration)
    st = _kernel_setting(fam, configuration, d, "simulation")
    return krr_memory(math.ceil(st.n), d, opts["n_test"], None if opts["model"] == "exact" else opts["m"])


FAMILIES: dict = {
    "one_step": Family(
        name="one_step",
        description="one gradient step then ridge (Ba et al. 2022): OneStep setting",
        setting_fields=("student", "teacher", "psi1", "psi2", "lam", "eta", "noise"),
        _setting_class=lambda: OneStep,
        inner="lam",
        simulation_options={
            "n_test": Option(20000, _n_test),
            "features": Option("network", _choice("features", ("network", "gaussian-equivalent"))),
            "psi1_readout": Option(None, _optional_positive("psi1_readout", "the readout sample ratio")),
            "test_risk": Option("monte-carlo", _choice("test_risk", ("monte-carlo", "exact"))),
            "dtype": Option("float64", _choice("dtype", ("float64", "float32"))),
            "streams": _STREAMS_OPTION,
        },
        theory_options={},
        theory_depends_on_d=False,
        min_d=2,
        _make=_one_step_make,
        _canonical=lambda f, d: _one_step_make(f, d).to_dict(),
        _theory=_one_step_theory,
        _simulate=_one_step_simulate,
        _memory=_one_step_memory,
    ),
    "giant_step": Family(
        name="giant_step",
        description="one giant step then ridge, and its spiked random features (Cui et al. 2024): GiantStep setting",
        setting_fields=("student", "teacher", "alpha0", "eta_tilde", "alpha", "width_ratio", "lam", "noise"),
        _setting_class=lambda: GiantStep,
        inner="alpha",
        simulation_options={
            "n_test": Option(10000, _n_test),
            "model": Option("network", _choice("model", ("network", "srf"))),
            "dtype": Option("float64", _choice("dtype", ("float64", "float32"))),
            "streams": _STREAMS_OPTION,
        },
        theory_options={"formula": Option("corrected", _choice("formula", ("corrected", "code")))},
        theory_depends_on_d=False,
        min_d=2,
        _make=_giant_make,
        _canonical=lambda f, d: _giant_make(f, d).to_dict(),
        _theory=_giant_theory,
        _simulate=_giant_simulate,
        _memory=_giant_memory,
    ),
    "kernels": Family(
        name="kernels",
        description="kernel ridge regression on the sphere (Nichani, Bai & Lee 2022): KernelRidge setting without d",
        setting_fields=("kernel", "activation", "n", "lam", "noise", "target"),
        _setting_class=_kernel_ridge_class,
        inner=None,
        simulation_options={
            "n_test": Option(2000, _n_test),
            "style": Option("product", _choice("style", ("product", "dense"))),
            "model": Option("exact", _choice("model", ("exact", "rf", "ntk"))),
            "m": Option(None, lambda v: None if v is None else check_int("m", v, 1, "neurons")),
            "n_exponent": _N_EXPONENT_OPTION,
            "streams": _STREAMS_OPTION,
        },
        theory_options={"n_exponent": _N_EXPONENT_OPTION},
        theory_depends_on_d=True,
        min_d=3,
        _make=_kernel_make,
        _canonical=_kernel_canonical,
        _theory=_kernel_theory,
        _simulate=_kernel_simulate,
        _memory=_kernel_memory,
        _check=_kernel_check,
    ),
}


def get_family(name: str) -> Family:
    """The :class:`Family` called ``name`` (one of :data:`FAMILIES`)."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise InvalidParameterError(f"unknown family {name!r}; choose one of {', '.join(FAMILIES)}")
    return FAMILIES[name]
