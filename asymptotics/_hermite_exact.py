"""The closed-form ("exact") route of :mod:`asymptotics.hermite`, and what sympy reads off an expression.

Private: the public entry points are :func:`asymptotics.hermite.hermite_coefficients` (``digits``
given), :func:`~asymptotics.hermite.symbolic_class`, :func:`~asymptotics.hermite.activation_breakpoints`
and :func:`~asymptotics.hermite.activation_is_smooth`.  This module is the only part of the Hermite
engine that needs sympy, so it is imported on first use: the float path of a registry activation
(every theory of the package) never loads sympy.
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy

from .activations import z
from .hermite import SYMBOLIC_MAX_OPS, SYMBOLIC_MAX_POWER, SYMBOLIC_MAX_TERMS

# --------------------------------------------------------------------------------------------
# breakpoints and smoothness of an expression

_KINK_TYPES = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Heaviside)


@lru_cache(maxsize=256)
def breakpoints_of_expr(expr: sympy.Expr) -> tuple[float, ...]:
    candidates: list[sympy.Expr] = []
    for atom in expr.atoms(*_KINK_TYPES):
        if isinstance(atom, (sympy.Max, sympy.Min)):
            args = atom.args
            candidates += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
        else:
            candidates.append(atom.args[0])
    for pw in expr.atoms(sympy.Piecewise):
        for _, cond in pw.args:
            for rel in getattr(cond, "atoms", lambda *_: set())(sympy.core.relational.Relational):
                candidates.append(rel.lhs - rel.rhs)
    points = {0.0}
    for g in candidates:
        try:
            if not g.is_polynomial(z) or not g.has(z):
                continue
            poly = sympy.Poly(g, z)
            if poly.degree() > 8:
                continue
            for r in poly.nroots(n=17):
                if abs(sympy.im(r)) < 1e-12:
                    points.add(float(sympy.re(r)))
        except (sympy.PolynomialError, NotImplementedError, TypeError, ValueError):
            continue
    return tuple(sorted(points))


def is_smooth_expr(expr: sympy.Expr) -> bool:
    """No Max/Min/Abs/sign/Heaviside/Piecewise atom in ``expr``."""
    return not (expr.atoms(*_KINK_TYPES) or expr.atoms(sympy.Piecewise))


# --------------------------------------------------------------------------------------------
# exact path
#
# The symbolic route is chosen by a rule on the expression, never by a clock (the result of a call
# does not depend on machine load).  :func:`symbolic_class` sorts an expression into
#   "polynomial"  -> projection of the monomials (always exact);
#   "half-line"   -> a polynomial on z > 0 and another on z < 0 (relu, abs, sign, ...; always exact);
#   "closed-form" -> small expressions built from polynomials, exp, sin, cos, sinh, cosh, erf, erfc
#                    (Gaussian moments with a shifted mean, Stein's identity for erf-type factors);
#   "numeric"     -> everything else (tanh, softplus, sigmoid, silu, log, rational functions, ...).
# For "closed-form" and "numeric" the even and odd parts f(±z) are first split by plain expansion
# (sympy.cancel as well for small rational functions of exp): a vanishing part gives exact zeros,
# a polynomial part exact values (softplus's odd part z/2 is not detected: no log identities).
# Whatever is left goes to mpmath.  Every step is a fixed sequence of sympy operations on an
# expression of bounded size (see the limits in asymptotics.hermite and asymptotics.expressions), so it takes the
# same route on an idle and on a busy machine.

_CLOSED_FORM_FUNCTIONS = (sympy.exp, sympy.sin, sympy.cos, sympy.sinh, sympy.cosh, sympy.erf, sympy.erfc)
_ZP = sympy.Symbol("zp", positive=True)


@lru_cache(maxsize=4096)
def _half_moment(m: int) -> sympy.Expr:
    """E[z^m 1{z > 0}] for z ~ N(0, 1)."""
    if m % 2 == 0:
        return sympy.factorial2(m - 1) / 2 if m > 0 else sympy.Rational(1, 2)
    j = (m - 1) // 2
    return sympy.Integer(2) ** j * sympy.factorial(j) / sympy.sqrt(2 * sympy.pi)


@lru_cache(maxsize=4096)
def _full_moment(m: int) -> sympy.Expr:
    return sympy.factorial2(m - 1) if m % 2 == 0 else sympy.Integer(0)


@lru_cache(maxsize=1024)
def _hermite_poly(k: int, var: sympy.Symbol) -> sympy.Poly:
    return sympy.Poly(sympy.hermite_prob(k, var), var)


@lru_cache(maxsize=256)
def _monomial_coeffs(expr: sympy.Expr, var: sympy.Symbol) -> tuple:
    """((m, p_m), ...) of a polynomial p(var) = Σ p_m var^m (coefficients may be irrational)."""
    return tuple((m, c) for (m,), c in sympy.Poly(expr, var, domain="EX").terms())


def _project_polynomial(expr: sympy.Expr, var: sympy.Symbol, k: int, moment) -> sympy.Expr:
    """E[p(z) He_k(z) w(z)] = Σ_m Σ_j p_m h_kj moment(m + j) for polynomial p, He_k = Σ_j h_kj z^j."""
    he = [(j, int(h)) for (j,), h in _hermite_poly(k, var).terms()]
    total = sympy.Integer(0)
    for m, c in _monomial_coeffs(expr, var):
        s = sum((h * moment(m + j) for j, h in he), sympy.Integer(0))
        if s != 0:
            total += c * s
    return total


def _is_small(expr: sympy.Expr) -> bool:
    """Size rule of the symbolic steps beyond polynomials: few operations, small powers."""
    if sympy.count_ops(expr) > SYMBOLIC_MAX_OPS:
        return False
    for p in expr.atoms(sympy.Pow):
        if p.base == z or not p.base.has(z):
            continue
        if not (p.exp.is_Integer and abs(int(p.exp)) <= SYMBOLIC_MAX_POWER):
            return False
    return True


def _half_line_parts(expr: sympy.Expr):
    """(p+, p-) with f(z) = p+(z) on z > 0 and f(-z) = p-(z) on z > 0 if both are polynomials."""
    fp, fm = expr.subs(z, _ZP), expr.subs(z, -_ZP)
    if fp.is_polynomial(_ZP) and fm.is_polynomial(_ZP):
        return fp, fm
    return None


def _closed_form_functions_only(expr: sympy.Expr) -> bool:
    if expr.has(sympy.Max, sympy.Min, sympy.Piecewise):  # not sympy.Function subclasses
        return False
    funcs = expr.atoms(sympy.Function)
    if not all(isinstance(f, _CLOSED_FORM_FUNCTIONS) for f in funcs):
        return False
    # z-dependent powers: z**n (n >= 0 integer) or small nonnegative integer powers
    for p in expr.atoms(sympy.Pow):
        if not p.has(z):
            continue
        if not (p.exp.is_Integer and int(p.exp) >= 0):
            return False
    return True


def symbolic_class_of(expr: sympy.Expr) -> str:
    """The route class of ``expr`` (see :func:`asymptotics.hermite.symbolic_class`)."""
    if expr.is_polynomial(z):
        return "polynomial"
    if _half_line_parts(expr) is not None:
        return "half-line"
    if _is_small(expr) and _closed_form_functions_only(expr):
        return "closed-form"
    return "numeric"


_EXP_MOMENTS: dict = {}


def _gaussian_exp_moment(m: int, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """E[z^m exp(a z + b z²)] for z ~ N(0,1), Re b < 1/2: β^{-1/2} e^{a²/2β} M_m(a/β, 1/β), β = 1-2b.

    M_m(μ, v) are the moments of N(μ, v) (M_j = μ M_{j−1} + (j−1) v M_{j−2}), cached per (a, b).
    """
    beta = 1 - 2 * b
    mu, v = a / beta, 1 / beta
    moments = _EXP_MOMENTS.setdefault((a, b), [sympy.Integer(1), mu])
    for j in range(len(moments), m + 1):
        moments.append(sympy.expand(mu * moments[j - 1] + (j - 1) * v * moments[j - 2]))
    return sympy.exp(a * a / (2 * beta)) / sympy.sqrt(beta) * moments[m]


def _exp_class_terms(expr: sympy.Expr):
    """Write expr as Σ coeff·z^m·exp(a z + b z²); None if it is not of that form."""
    g = sympy.expand(sympy.powsimp(sympy.expand(expr.rewrite(sympy.exp)), combine="exp"))
    if len(sympy.Add.make_args(g)) > SYMBOLIC_MAX_TERMS:
        return None
    terms = []
    for term in sympy.Add.make_args(g):
        coeff, m, h = _split_term(term)
        exponent = sympy.Integer(0)
        for factor in sympy.Mul.make_args(h):
            if isinstance(factor, sympy.exp) or (factor.is_Pow and factor.base == sympy.E):
                exponent += factor.exp if factor.is_Pow else factor.args[0]
            elif factor != 1:
                return None
        exponent = sympy.expand(exponent)
        if not exponent.is_polynomial(z):
            return None
        p = sympy.Poly(exponent, z)
        if p.degree() > 2:
            return None
        cs = p.all_coeffs()[::-1] + [0, 0, 0]
        c0, a, b = sympy.sympify(cs[0]), sympy.sympify(cs[1]), sympy.sympify(cs[2])
        bre = complex(sympy.N(b))
        if abs(bre.imag) > 0 or bre.real >= 0.5:
            return None
        terms.append((coeff * sympy.exp(c0), m, a, b))
    return terms


def _exp_class_projection(terms, k: int) -> sympy.Expr:
    """E[g(z) He_k(z)] for g = Σ coeff·z^m·exp(a z + b z²) given as ``terms``."""
    total = sympy.Integer(0)
    for coeff, m, a, b in terms:
        for (j,), hc in _hermite_poly(k, z).terms():
            total += coeff * hc * _gaussian_exp_moment(m + j, a, b)
    return total


def _clean(expr: sympy.Expr) -> sympy.Expr:
    """Real canonical form of a closed form (expansion only: bounded cost, unlike simplify)."""
    return sympy.factor_terms(sympy.expand(sympy.expand_complex(sympy.expand(expr))))


def _split_term(term: sympy.Expr) -> tuple[sympy.Expr, int, sympy.Expr]:
    """term = coeff · z^m · h with coeff constant and h free of bare powers of z."""
    coeff, m, h = sympy.Integer(1), 0, sympy.Integer(1)
    for factor in sympy.Mul.make_args(term):
        if not factor.has(z):
            coeff *= factor
        elif factor == z:
            m += 1
        elif factor.is_Pow and factor.base == z and factor.exp.is_Integer and factor.exp > 0:
            m += int(factor.exp)
        else:
            h *= factor
    return coeff, m, h


def _closed_form_part(part: sympy.Expr, order: int, parity: int) -> dict:
    """{k: (E[part·He_k], route)} for k ≡ parity (mod 2), k ≤ order; {} if part is not closed-form.

    Each term coeff·z^m·h of the expanded part is projected either as a Gaussian-exp term
    (z^m h = Σ c z^n exp(a z + b z²)) or by Stein's identity: with z^m He_k = Σ_i a_i He_i,
    E[z^m h He_k] = a_0 E[h] + Σ_{i≥1} a_i E[h' He_{i−1}] when h' is of Gaussian-exp form (erf,
    erfc of a polynomial argument: h is a single erf / erfc factor; a_0 E[h] is needed only when h
    is not odd, and then the term fails).
    """
    ks = list(range(parity, order + 1, 2))
    groups: dict = {}
    for term in sympy.Add.make_args(part):
        coeff, m, h = _split_term(term)
        groups.setdefault(h, []).append((coeff, m))
    plans = []  # (kind, h-data, [(coeff, m)])
    stein = False
    for h, cms in groups.items():
        if h == 1:
            plans.append(("poly", None, cms))
            continue
        if not h.has(sympy.erf, sympy.erfc):
            terms = _exp_class_terms(h)
            if terms is None:
                return {}
            plans.append(("exp", terms, cms))
            continue
        if not isinstance(h, (sympy.erf, sympy.erfc)):  # Stein only for a single erf / erfc factor
            return {}
        dterms = _exp_class_terms(sympy.diff(h, z))
        if dterms is None:
            return {}
        h_odd = sympy.expand(h + h.subs(z, -z)) == 0
        plans.append(("stein", (dterms, h_odd), cms))
        stein = True
    out = {}
    for k in ks:
        total = sympy.Integer(0)
        for kind, data, cms in plans:
            for coeff, m in cms:
                if kind == "poly":
                    total += coeff * _project_polynomial(z**m, z, k, _full_moment)
                elif kind == "exp":
                    total += coeff * _exp_class_projection([(c * 1, mm + m, a, b) for c, mm, a, b in data], k)
                else:
                    dterms, h_odd = data
                    q = sympy.Poly(z**m, z) * _hermite_poly(k, z)
                    for i in range(q.degree() + 1):
                        a_i = _project_polynomial(q.as_expr(), z, i, _full_moment) / sympy.factorial(i)
                        if a_i == 0:
                            continue
                        if i == 0:
                            if not h_odd:
                                return {}
                            continue
                        total += coeff * a_i * _exp_class_projection(dterms, i - 1)
        out[k] = (_clean(total / sympy.sqrt(sympy.factorial(k))), "stein" if stein else "gaussian-exp")
    return out


def _parity_parts(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """(even, odd) parts by plain expansion; sympy.cancel as well for small functions of exp only."""
    fneg = expr.subs(z, -z)
    parts = [sympy.expand((expr + fneg) / 2), sympy.expand((expr - fneg) / 2)]
    only_exp = all(isinstance(f, sympy.exp) for f in expr.atoms(sympy.Function))
    for i, part in enumerate(parts):
        if part != 0 and only_exp and part.has(sympy.exp):
            parts[i] = sympy.expand(sympy.cancel(part))
    return parts[0], parts[1]


def _exact_values(expr: sympy.Expr, order: int) -> tuple[list, list]:
    """(closed forms or None, routes or None) for k = 0..order, by the rule of :func:`symbolic_class`."""
    vals: list = [None] * (order + 1)
    routes: list = [None] * (order + 1)
    if expr.is_polynomial(z):
        for k in range(order + 1):
            vals[k] = sympy.simplify(_project_polynomial(expr, z, k, _full_moment) / sympy.sqrt(sympy.factorial(k)))
            routes[k] = "polynomial"
        return vals, routes
    half = _half_line_parts(expr)
    if half is not None:
        fp, fm = half
        for k in range(order + 1):
            plus = _project_polynomial(fp, _ZP, k, _half_moment)
            # E[p(z) He_k(z) 1{z<0}] = E[p(-z) He_k(-z) 1{z>0}]
            minus = _project_polynomial(fm * (-1) ** k, _ZP, k, _half_moment)
            vals[k] = sympy.simplify((plus + minus) / sympy.sqrt(sympy.factorial(k)))
            routes[k] = "half-line"
        return vals, routes
    if not _is_small(expr):
        return vals, routes  # numeric, no symbolic step at all
    for parity, part in enumerate(_parity_parts(expr)):
        ks = range(parity, order + 1, 2)
        if part == 0:
            found = {k: (sympy.Integer(0), "parity") for k in ks}
        elif part.is_polynomial(z):
            found = {
                k: (sympy.simplify(_project_polynomial(part, z, k, _full_moment) / sympy.sqrt(sympy.factorial(k))),
                    "polynomial")
                for k in ks
            }
        elif _is_small(part) and _closed_form_functions_only(part):
            found = _closed_form_part(part, order, parity)
        else:
            found = {}
        for k, (v, r) in found.items():
            vals[k], routes[k] = v, r
    return vals, routes


def accept(val: sympy.Expr, reference: float, tol: float) -> bool:
    """A symbolic result is used only if finite, real, integral-free and equal to the float value."""
    if val is None or val.has(sympy.Integral) or val.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
        return False
    if val.free_symbols:
        return False
    try:
        num = complex(sympy.N(val, 30))
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(num.real) and math.isfinite(num.imag)) or abs(num.imag) > 1e-25:
        return False
    return abs(num.real - reference) <= tol


def closed_forms(expr: sympy.Expr, order: int) -> tuple[list, list]:
    """(closed forms or None, routes or None) for k = 0..order of ``expr``, before acceptance.

    Decimal literals ("0.1*z**2") are read as the exact decimals the user wrote.
    """
    if expr.has(sympy.Float):
        expr = sympy.nsimplify(expr, rational=True)
    vals, routes = _exact_values(expr, order)
    vals = [None if v is None else v.subs(_ZP, z) for v in vals]
    return vals, routes


def real_value(expr: sympy.Expr, dps: int, name: str, k: int):
    """The mpmath value of a closed form at ``dps`` digits (ActivationError if not real)."""
    import mpmath

    from .errors import ActivationError

    re_part, im_part = sympy.N(expr, dps + 5).as_real_imag()
    if im_part != 0 and abs(im_part) > sympy.Float(10, dps) ** (-dps):
        raise ActivationError(f"closed form of c_{k} of {name!r} is not real: {expr}")
    return mpmath.mpf(re_part)
