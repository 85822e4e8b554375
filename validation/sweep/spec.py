"""Sweep specifications: a TOML file (data, never code) describing studies, and their expansion into runs.

A spec::

    name = "one-step-eta"                 # the store directory asym-sweeps/<name>/ by default
    description = "free text"

    [[study]]
    name = "eta"                          # unique within the spec (default study1, study2, ...)
    family = "one_step"                   # one_step | giant_step | kernels
    theory = true                         # a theory run per configuration (default true)
    simulation = true                     # a simulation run per (configuration, d, seed) (default true)
    d = [128, 256]                        # input dimensions (an int or a list)
    seeds = 16                            # K (seeds 0..K-1) or a list of distinct seeds

    [study.setting]                       # base values of the family's setting fields
    student = "tanh"
    teacher = "tanh"
    psi1 = 2
    psi2 = 2
    lam = 0.01
    noise = 0.1

    [study.grid]                          # cartesian product over any setting field or option
    eta = [0.5, 1, 2, 4]

    [study.zip]                           # lists of equal length, taken together
    psi1 = [1, 2, 4]
    psi2 = [1, 2, 4]

    [study.options]                       # simulation / theory options of the family
    n_test = 20000

The configurations of a study are: base setting and options, overridden by each element of the
cartesian product of ``grid`` times each row of ``zip``.  The family's *inner axis* (λ = ``lam`` for
``one_step``, α = ``alpha`` for ``giant_step``), when listed in ``grid``, is not expanded: one sampled
network serves the whole list, so the list belongs to the configuration and makes one run (see
:mod:`asymptotics.validation.sweep.families`).  Listed in ``zip`` it is an ordinary parameter.

Expansion: per configuration one theory run (per configuration and d for ``kernels``, whose theory is at
finite d), and one simulation run per (configuration, d, seed).  Identical runs of two studies are run
once.  Every run has a key, the sha256 of the canonical JSON of ``(kind, family, configuration, d,
seed)``, where the configuration holds the validated setting (numbers as floats, activations by name),
the inner list and all options with their defaults filled in: ``eta = 1`` and ``eta = 1.0`` are the
same run, a changed ``n_test`` is a different one.

Validation happens before any work, with specific messages (:class:`SpecError`, an
``InvalidParameterError``): unknown keys, families, fields or options, wrong types, empty or
duplicated lists, zipped lists of different lengths, and every setting value through the setting
class itself.

TOML needs Python ≥ 3.11 (``tomllib``) or the ``tomli`` package on 3.10; a spec may also be given as
a dict (:func:`parse_spec`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asymptotics.errors import AsymptoticsError, InvalidParameterError

from ..summary import normalize_seeds
from .families import FAMILIES, get_family

__all__ = ["SpecError", "Spec", "Study", "Run", "load_spec", "parse_spec", "expand", "unique_runs", "run_key",
           "RUN_SCHEMA"]

#: Version of the run description hashed into every key (bump when the meaning of a run changes).
RUN_SCHEMA = 1

_TOP_KEYS = ("name", "description", "study")
_STUDY_KEYS = ("name", "family", "theory", "simulation", "d", "seeds", "setting", "grid", "zip", "options")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: Largest number of runs one spec may expand to (a guard against a typo in a grid).
MAX_RUNS = 1_000_000


class SpecError(InvalidParameterError):
    """A sweep specification is invalid (the message says where and why)."""


def _load_toml(text: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise SpecError("reading TOML specs needs Python >= 3.11 or the 'tomli' package "
                            "(pip install tomli)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}") from None


@dataclass(frozen=True)
class Study:
    """One validated study of a spec (see the module docstring for the fields)."""

    name: str
    family: str
    theory: bool
    simulation: bool
    d: tuple
    seeds: tuple
    setting: dict
    grid: dict
    zip: dict
    options: dict

    def to_dict(self) -> dict:
        """The study as spec data (``parse_spec`` of it gives the same study)."""
        out = {"name": self.name, "family": self.family, "theory": self.theory, "simulation": self.simulation,
               "d": list(self.d), "seeds": list(self.seeds), "setting": dict(self.setting),
               "grid": {k: list(v) for k, v in self.grid.items()}, "zip": {k: list(v) for k, v in self.zip.items()},
               "options": dict(self.options)}
        return {k: v for k, v in out.items() if not (k in ("d", "seeds") and not v)}


@dataclass(frozen=True)
class Run:
    """One unit of work: a theory run (``seed`` None) or one seed of a simulation at one d.

    ``study`` names the study that asked for it and ``index`` the configuration's position in that study
    (1, 2, ...); identical runs of two studies have the same key and are run once.
    """

    kind: str
    family: str
    configuration: dict = field(compare=False)
    d: "int | None"
    seed: "int | None"
    key: str
    study: str = field(compare=False)
    index: int = field(default=0, compare=False)

    def payload(self) -> dict:
        """The JSON description hashed into :attr:`key` (also stored in the record)."""
        return {"schema": RUN_SCHEMA, "kind": self.kind, "family": self.family,
                "configuration": self.configuration, "d": self.d, "seed": self.seed}


def run_key(payload: dict) -> str:
    """sha256 (hex) of the canonical JSON (sorted keys, no whitespace, no NaN) of a run payload."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Spec:
    """A validated sweep specification."""

    name: str
    description: str
    studies: tuple
    source: "str | None" = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "study": [s.to_dict() for s in self.studies]}

    def runs(self) -> tuple:
        """Every run of every study, in expansion order (may repeat a key across studies)."""
        return expand(self)


def load_spec(path: "str | Path | dict | Spec") -> Spec:
    """Read and validate a TOML spec file (or pass a dict / :class:`Spec` through :func:`parse_spec`).

    The spec's ``name`` defaults to the file name without its extension.
    """
    if isinstance(path, Spec):
        return path
    if isinstance(path, dict):
        return parse_spec(path)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file {p} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {p} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec file {p}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return parse_spec(_load_toml(text), default_name=p.stem, source=text)
    except SpecError as exc:
        raise SpecError(f"{p}: {exc}") from None


def _type_name(v) -> str:
    return {dict: "a table", list: "a list", bool: "a boolean", str: "a string"}.get(type(v), type(v).__name__)


def _scalar(where: str, v) -> Any:
    """A grid / setting value must be a number or a string (TOML dates, tables, arrays are refused)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise SpecError(f"{where} must be a number or a string, got {_type_name(v)} {v!r}")
    if isinstance(v, float) and not math.isfinite(v):
        raise SpecError(f"{where} must be finite, got {v!r}")
    return v


def _value_list(where: str, v, allow_scalar: bool = False, unique: bool = True) -> tuple:
    if not isinstance(v, list):
        if allow_scalar:
            v = [v]
        else:
            raise SpecError(f"{where} must be a list of values, got {_type_name(v)} {v!r}")
    if not v:
        raise SpecError(f"{where} is an empty list")
    out = tuple(_scalar(f"{where}[{i}]", x) for i, x in enumerate(v))
    if not unique:
        return out
    seen = set()
    for x in out:
        k = (type(x) is str, x)
        if k in seen:
            raise SpecError(f"{where} lists {x!r} twice")
        seen.add(k)
    return out


def _table(where: str, v) -> dict:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise SpecError(f"{where} must be a table, got {_type_name(v)} {v!r}")
    return v


def parse_spec(doc: dict, default_name: str = "sweep", source: "str | None" = None) -> Spec:
    """Validate a spec given as a dict (the parsed TOML); returns a :class:`Spec` whose runs all
    validate (:func:`expand` is run once here)."""
    if not isinstance(doc, dict):
        raise SpecError(f"a spec is a table, got {_type_name(doc)}")
    unknown = sorted(set(doc) - set(_TOP_KEYS))
    if unknown:
        raise SpecError(f"unknown top-level key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(_TOP_KEYS)}"
                        + (" (write each study as [[study]])" if any(k in _STUDY_KEYS for k in unknown) else ""))
    name = doc.get("name", default_name)
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise SpecError(f"name must be 1-100 characters of letters, digits, '.', '_', '-' (not starting with "
                        f"'.', '-' or '_'): it names the store directory; got {name!r}")
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"description must be a string, got {_type_name(description)}")
    studies_raw = doc.get("study")
    if studies_raw is None:
        raise SpecError("no [[study]] in the spec")
    if isinstance(studies_raw, dict):
        studies_raw = [studies_raw]
    if not isinstance(studies_raw, list) or not studies_raw:
        raise SpecError("study must be one or more [[study]] tables")
    studies, names = [], set()
    for i, raw in enumerate(studies_raw, 1):
        st = _parse_study(raw, i)
        if st.name in names:
            raise SpecError(f"two studies are named {st.name!r}")
        names.add(st.name)
        studies.append(st)
    n_runs = 0
    for st in studies:  # count before expanding: a typo in a grid must not hang the validation
        fam = get_family(st.family)
        n_cfg = math.prod(len(v) for k, v in st.grid.items() if k != fam.inner)
        n_cfg *= len(next(iter(st.zip.values()))) if st.zip else 1
        n_theory = (len(st.d) if fam.theory_depends_on_d else 1) if st.theory else 0
        n_runs += n_cfg * (n_theory + (len(st.d) * len(st.seeds) if st.simulation else 0))
    if n_runs > MAX_RUNS:
        raise SpecError(f"the spec expands to {n_runs} runs, more than {MAX_RUNS}")
    spec = Spec(name, description, tuple(studies), source)
    runs = expand(spec)  # validates every configuration
    if len(runs) > MAX_RUNS:
        raise SpecError(f"the spec expands to {len(runs)} runs, more than {MAX_RUNS}")
    return spec


def _parse_study(raw, i: int) -> Study:
    where = f"study {i}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table, got {_type_name(raw)}")
    name = raw.get("name", f"study{i}")
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise SpecError(f"{where}: name must be letters, digits, '.', '_', '-', got {name!r}")
    where = f"study {name!r}"
    unknown = sorted(set(raw) - set(_STUDY_KEYS))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(_STUDY_KEYS)}")
    if "family" not in raw:
        raise SpecError(f"{where}: no family (one of {', '.join(FAMILIES)})")
    try:
        fam = get_family(raw["family"])
    except InvalidParameterError as exc:
        raise SpecError(f"{where}: {exc}") from None
    flags = {}
    for k in ("theory", "simulation"):
        v = raw.get(k, True)
        if not isinstance(v, bool):
            raise SpecError(f"{where}: {k} must be true or false, got {v!r}")
        flags[k] = v
    if not (flags["theory"] or flags["simulation"]):
        raise SpecError(f"{where}: theory and simulation are both false: nothing to run")
    setting = _table(f"{where}: setting", raw.get("setting"))
    grid = _table(f"{where}: grid", raw.get("grid"))
    zipped = _table(f"{where}: zip", raw.get("zip"))
    options = _table(f"{where}: options", raw.get("options"))
    option_names = set(fam.simulation_options) | set(fam.theory_options)
    known = set(fam.setting_fields) | option_names
    for k, v in setting.items():
        if k not in fam.setting_fields:
            hint = " (d is given by the study's d list)" if k == "d" else (
                " (an option: put it under [study.options])" if k in option_names else "")
            raise SpecError(f"{where}: unknown setting field {k!r} for family {fam.name}{hint}; "
                            f"fields: {', '.join(fam.setting_fields)}")
        _scalar(f"{where}: setting.{k}", v)
    for k, v in options.items():
        if k not in option_names:
            raise SpecError(f"{where}: unknown option {k!r} for family {fam.name}; options: "
                            f"{', '.join(sorted(option_names))}")
        if not (v is None or isinstance(v, (int, float, str)) and not isinstance(v, bool)):
            raise SpecError(f"{where}: options.{k} must be a number or a string, got {_type_name(v)} {v!r}")
    for label, table in (("grid", grid), ("zip", zipped)):
        for k in table:
            if k not in known:
                raise SpecError(f"{where}: {label}.{k}: unknown parameter for family {fam.name}; "
                                f"setting fields: {', '.join(fam.setting_fields)}; options: "
                                f"{', '.join(sorted(option_names))}" + (" (list dimensions in the study's d)"
                                                                        if k == "d" else ""))
    grid = {k: _value_list(f"{where}: grid.{k}", v) for k, v in grid.items()}
    zipped = {k: _value_list(f"{where}: zip.{k}", v, unique=False) for k, v in zipped.items()}
    both = sorted(set(grid) & set(zipped))
    if both:
        raise SpecError(f"{where}: {', '.join(both)} in both grid and zip")
    lengths = {k: len(v) for k, v in zipped.items()}
    if len(set(lengths.values())) > 1:
        raise SpecError(f"{where}: zipped lists must have equal lengths, got "
                        + ", ".join(f"{k}: {n}" for k, n in lengths.items()))
    if zipped and len(set(zip(*zipped.values()))) != len(next(iter(zipped.values()))):
        raise SpecError(f"{where}: zip lists the same combination twice")
    missing = [k for k in fam.required if k not in setting and k not in grid and k not in zipped]
    if missing:
        raise SpecError(f"{where}: setting field(s) {', '.join(missing)} not given (in setting, grid or zip)")
    needs_d = flags["simulation"] or fam.theory_depends_on_d
    d_raw = raw.get("d")
    if d_raw is None:
        if needs_d:
            raise SpecError(f"{where}: no d (give d = [..]: the dimensions"
                            + (" of the simulation)" if flags["simulation"] else " of the finite-d theory)"))
        ds = ()
    else:
        dl = d_raw if isinstance(d_raw, list) else [d_raw]
        if not dl:
            raise SpecError(f"{where}: d is an empty list")
        for x in dl:
            if isinstance(x, bool) or not isinstance(x, int) or x < fam.min_d:
                raise SpecError(f"{where}: d must hold integers >= {fam.min_d}, got {x!r}")
            if x > 10**7:
                raise SpecError(f"{where}: d = {x} is beyond any simulation (at most 1e7)")
        if len(set(dl)) != len(dl):
            raise SpecError(f"{where}: d lists a dimension twice: {dl}")
        ds = tuple(dl)
    seeds_raw = raw.get("seeds")
    if seeds_raw is None:
        if flags["simulation"]:
            raise SpecError(f"{where}: no seeds (give seeds = K or a list of seeds)")
        seeds = ()
    else:
        if isinstance(seeds_raw, float) or isinstance(seeds_raw, bool):
            raise SpecError(f"{where}: seeds must be an integer K or a list of integers, got {seeds_raw!r}")
        try:
            seeds = normalize_seeds(seeds_raw)
        except InvalidParameterError as exc:
            raise SpecError(f"{where}: {exc}") from None
    return Study(name, fam.name, flags["theory"], flags["simulation"], ds, seeds, dict(setting), grid, zipped,
                 dict(options))


def _configurations(study: Study):
    """(parameters dict) of every configuration of a study, in expansion order, with the inner list
    (or None)."""
    fam = get_family(study.family)
    grid = dict(study.grid)
    inner = None
    if fam.inner is not None and fam.inner in grid:
        inner = (fam.inner, grid.pop(fam.inner))
    gkeys = list(grid)
    zkeys = list(study.zip)
    zrows = list(zip(*study.zip.values())) if zkeys else [()]
    for combo in itertools.product(*(grid[k] for k in gkeys)):
        for zrow in zrows:
            params = {**study.setting, **study.options, **dict(zip(gkeys, combo)), **dict(zip(zkeys, zrow))}
            yield params, inner


def _configuration(fam, params: dict, inner, d0, kind: str, where: str) -> dict:
    """The canonical configuration of a theory (``kind="theory"``) or simulation run."""
    fields = {k: v for k, v in params.items() if k in fam.setting_fields}
    table = fam.simulation_options if kind == "simulation" else fam.theory_options
    options = {}
    for k, opt in table.items():
        try:
            options[k] = opt.check(params[k]) if k in params and params[k] is not None else opt.default
        except AsymptoticsError as exc:
            raise SpecError(f"{where}: {exc}") from None
    try:
        if inner is None:
            cfg = {"setting": fam.canonical(fields, d0), "inner": None, "options": options}
            if kind == "simulation":
                fam.check(cfg)
            return cfg
        name, values = inner
        canon = [fam.canonical({**fields, name: v}, d0) for v in values]
    except AsymptoticsError as exc:
        raise SpecError(f"{where}: {exc}") from None
    vals = [c[name] for c in canon]
    if len(set(map(repr, vals))) != len(vals):
        raise SpecError(f"{where}: grid.{name} lists a value twice (after conversion: {vals})")
    setting = {k: v for k, v in canon[0].items() if k != name}
    cfg = {"setting": setting, "inner": {name: vals}, "options": options}
    if kind == "simulation":
        try:
            fam.check(cfg)
        except AsymptoticsError as exc:
            raise SpecError(f"{where}: {exc}") from None
    return cfg


def expand(spec: Spec) -> tuple:
    """All runs of a spec, study by study: theory runs of a configuration first, then its simulation
    runs by d and seed.  Raises :class:`SpecError` for a configuration the setting class refuses."""
    runs = []
    for study in spec.studies:
        fam = get_family(study.family)
        for i, (params, inner) in enumerate(_configurations(study), 1):
            where = f"study {study.name!r}, configuration {i} ({_describe(params, inner)})"
            ds_theory = study.d if fam.theory_depends_on_d else (None,)
            for kind in ("theory", "simulation"):
                if not getattr(study, kind):
                    continue
                for d in (ds_theory if kind == "theory" else study.d):
                    cfg = _configuration(fam, params, inner, d, kind, where)
                    seeds = (None,) if kind == "theory" else study.seeds
                    for seed in seeds:
                        payload = {"schema": RUN_SCHEMA, "kind": kind, "family": fam.name, "configuration": cfg,
                                   "d": d, "seed": seed}
                        runs.append(Run(kind, fam.name, cfg, d, seed, run_key(payload), study.name, i))
    return tuple(runs)


def _describe(params: dict, inner) -> str:
    parts = [f"{k}={v}" for k, v in params.items()]
    if inner:
        parts.append(f"{inner[0]}={list(inner[1])}")
    text = ", ".join(parts)
    return text if len(text) <= 160 else text[:157] + "..."


def unique_runs(runs) -> list:
    """The runs with duplicate keys removed (first occurrence kept, order preserved)."""
    seen, out = set(), []
    for r in runs:
        if r.key not in seen:
            seen.add(r.key)
            out.append(r)
    return out
