"""Safe parsing of activation / teacher expressions: a whitelist over Python's syntax tree.

An expression string such as ``"tanh(z) + 0.1*z**2"`` is parsed with ``ast.parse(text,
mode="eval")`` and the sympy expression is built node by node from a fixed whitelist.  Nothing is
ever evaluated as Python (no ``eval``, ``exec`` or ``sympy.sympify`` on user text), so a string can
neither import modules, access attributes nor touch the file system.

Grammar accepted
----------------
* numbers: integer and decimal literals, scientific notation (``1e-3``); decimal literals become
  ``sympy.Float`` with the digits as written (``0.1`` is later read as exactly 1/10 by the exact
  Hermite route);
* the variable ``z`` and the constants ``pi`` and ``E``;
* ``+ - * / **`` and unary ``+ -``, parentheses; ``^`` is read as ``**`` (as sympy's parser did);
* calls ``name(arg, ...)`` of the functions in :data:`FUNCTIONS` (positional arguments only):
  every registry activation (``relu``, ``gelu``, ``he3``, ...; see
  :data:`asymptotics.activations.REGISTRY_NAMES`) and ``exp log sqrt sin cos tanh sinh cosh atan
  asinh erf erfc abs Abs sign Heaviside Max Min``.

Limits (so that parsing always returns at once): at most :data:`MAX_LENGTH` characters, nesting
depth at most :data:`MAX_DEPTH`, constant exponents ``|p| ≤`` :data:`MAX_EXPONENT` as written and
≤ :data:`MAX_TOTAL_EXPONENT` once sympy combines them, numeric powers at most ``10**MAX_LOG10`` in
magnitude, integer literals of at most :data:`MAX_INT_DIGITS` digits, finite decimal literals; z
may appear in an exponent only as ``E**(...)`` = ``exp(...)``.

Anything else (attribute access, subscripts, strings, lambda, comprehensions, keyword or starred
arguments, comparisons, unknown names such as ``x``, ``I``, ``oo`` or ``floor``, ...) raises
:class:`asymptotics.errors.ExpressionError` (an :class:`ActivationError`) naming the offending token.
The parser only checks syntax and size; :func:`asymptotics.activations.get_activation` then checks
that the function is real-valued and square-integrable.

>>> parse_expression("relu(z) - 1/sqrt(2*pi)")
Max(0, z) - sqrt(2)/(2*sqrt(pi))
>>> parse_expression("z^3 - 3*z")
z**3 - 3*z
>>> parse_expression("().__class__")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
asymptotics.errors.ExpressionError: unknown activation '().__class__': attribute access '.__class__' is not allowed ...
"""

from __future__ import annotations

import ast
import math
from types import MappingProxyType
from typing import Callable

import sympy

from .errors import ExpressionError

__all__ = [
    "parse_expression",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_TOTAL_EXPONENT",
    "MAX_LOG10",
    "MAX_INT_DIGITS",
]

#: Longest accepted expression (characters).
MAX_LENGTH = 500
#: Deepest accepted nesting of calls / operators (a chain ``a + b + c + ...`` counts once).
MAX_DEPTH = 40
#: Largest accepted |p| of a constant exponent in ``x**p``.
MAX_EXPONENT = 100
#: Largest |p| of any power x**p of the finished expression (``(z**100)**100`` is z**10000).
MAX_TOTAL_EXPONENT = 1000
#: Largest accepted log10 of the magnitude of a numeric power ``a**p`` (both constants).
MAX_LOG10 = 1000
#: Longest accepted integer literal (digits).
MAX_INT_DIGITS = 100

_ALLOWED_HINT = "allowed: numbers, z, pi, E, + - * / **, and calls of exp, log, sqrt, ... relu, tanh, ..."


def _unary(fn: Callable) -> tuple[Callable, int, int]:
    return fn, 1, 1


def _sympy_functions() -> dict[str, tuple[Callable, int, int]]:
    """name -> (builder, min #args, max #args) of the plain sympy functions."""
    out = {
        name: _unary(getattr(sympy, name))
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sinh", "cosh", "atan", "asinh",
                     "erf", "erfc", "sign", "Abs")
    }
    out["abs"] = _unary(sympy.Abs)
    out["Heaviside"] = _unary(sympy.Heaviside)
    out["Max"] = (sympy.Max, 2, 8)
    out["Min"] = (sympy.Min, 2, 8)
    return out


def _registry_functions() -> dict[str, tuple[Callable, int, int]]:
    """Every registry activation f as a function: f(arg) = expr_f with z replaced by arg."""
    from .activations import _registry_exprs, z  # local import: activations imports this module (lazily)

    return {
        name: _unary(lambda arg, e=expr: e.subs(z, arg) if arg != z else e)
        for name, expr in _registry_exprs().items()
    }


_FUNCTIONS_CACHE: dict = {}


def _functions() -> MappingProxyType:
    if not _FUNCTIONS_CACHE:
        table = _sympy_functions()
        table.update(_registry_functions())  # registry names win (e.g. "sign", "tanh": same expr)
        _FUNCTIONS_CACHE["table"] = MappingProxyType(table)
    return _FUNCTIONS_CACHE["table"]


def __getattr__(name):  # FUNCTIONS is built lazily (the registry lives in activations)
    if name == "FUNCTIONS":
        return tuple(sorted(_functions()))
    raise AttributeError(name)


#: Names of constants accepted in an expression.
CONSTANTS = MappingProxyType({"pi": sympy.pi, "E": sympy.E})

_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}


def _describe(node: ast.AST, text: str) -> str:
    """A short human description of a rejected node, quoting its source."""
    seg = ast.get_source_segment(text, node) or ""
    if len(seg) > 40:
        seg = seg[:37] + "..."
    kinds = {
        ast.Attribute: lambda n: f"attribute access '.{n.attr}'",
        ast.Subscript: lambda n: f"subscript {seg!r}",
        ast.Lambda: lambda n: "lambda",
        ast.JoinedStr: lambda n: f"f-string {seg!r}",
        ast.Compare: lambda n: f"comparison {seg!r}",
        ast.BoolOp: lambda n: f"boolean operator {seg!r}",
        ast.IfExp: lambda n: f"conditional expression {seg!r}",
        ast.NamedExpr: lambda n: f"assignment expression {seg!r}",
        ast.Starred: lambda n: f"starred argument {seg!r}",
        ast.Tuple: lambda n: f"tuple {seg!r}",
        ast.List: lambda n: f"list {seg!r}",
        ast.Dict: lambda n: f"dict {seg!r}",
        ast.Set: lambda n: f"set {seg!r}",
        ast.ListComp: lambda n: f"comprehension {seg!r}",
        ast.SetComp: lambda n: f"comprehension {seg!r}",
        ast.DictComp: lambda n: f"comprehension {seg!r}",
        ast.GeneratorExp: lambda n: f"generator {seg!r}",
        ast.Await: lambda n: f"await {seg!r}",
        ast.Yield: lambda n: f"yield {seg!r}",
        ast.YieldFrom: lambda n: f"yield {seg!r}",
    }
    for typ, fmt in kinds.items():
        if isinstance(node, typ):
            return fmt(node)
    if isinstance(node, ast.Constant):
        return f"literal {seg!r} of type {type(node.value).__name__}"
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"operator {type(node.op).__name__} in {seg!r}"
    return f"{type(node).__name__} {seg!r}"


class _Builder:
    """Recursive whitelist walk of the syntax tree, building the sympy expression."""

    def __init__(self, text: str, symbol: sympy.Symbol):
        self.text = text
        self.z = symbol
        self.functions = _functions()
        self.root: ast.AST | None = None

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"unknown activation {_short(self.text)!r}: {what}")

    def reject(self, node: ast.AST) -> ExpressionError:
        return self.fail(f"{_describe(node, self.text)} is not allowed ({_ALLOWED_HINT})")

    # -- nodes ------------------------------------------------------------------------------

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            arg = self.build(node.operand, depth + 1)
            return -arg if isinstance(node.op, ast.USub) else arg
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.reject(node)

    def constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.reject(node)
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_INT_DIGITS:
                raise self.fail(f"integer literal longer than {MAX_INT_DIGITS} digits")
            return sympy.Integer(value)
        if not math.isfinite(value):
            seg = ast.get_source_segment(self.text, node)
            raise self.fail(f"number {seg!r} is out of the floating-point range")
        seg = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        return sympy.Float(seg)

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id == "z":
            return self.z
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in self.functions:
            raise self.fail(f"function {node.id!r} must be called, e.g. {node.id}(z)")
        if node is self.root:
            from .activations import REGISTRY_NAMES

            raise self.fail(
                f"not a registry name ({', '.join(REGISTRY_NAMES)}, centered:NAME) "
                f"nor an expression in z"
            )
        raise self.fail(
            f"unknown name {node.id!r} (the variable is z; constants: pi, E; {_ALLOWED_HINT})"
        )

    def binop(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        op = type(node.op)
        if op is ast.Pow:
            base = self.build(node.left, depth + 1)
            exponent = self.build(node.right, depth + 1)
            return self.power(base, exponent, node)
        # a left-leaning chain a + b - c + ... (or a * b / c ...) is walked iteratively: one level
        group = (ast.Add, ast.Sub) if op in (ast.Add, ast.Sub) else (ast.Mult, ast.Div)
        chain = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, group):
            chain.append((type(cur.op), cur.right))
            cur = cur.left
        out = self.build(cur, depth + 1)
        for op_type, right in reversed(chain):
            rhs = self.build(right, depth + 1)
            if op_type is ast.Add:
                out = out + rhs
            elif op_type is ast.Sub:
                out = out - rhs
            elif op_type is ast.Mult:
                out = out * rhs
            else:
                out = out / rhs
        return out

    def power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST) -> sympy.Expr:
        seg = ast.get_source_segment(self.text, node) or ""
        if exponent.has(self.z) and base != sympy.E:
            raise self.fail(f"z in the exponent of {seg!r} is only allowed as E**(...) or exp(...)")
        if exponent.is_number:
            try:
                p = abs(complex(sympy.N(exponent, 15)))
            except (TypeError, ValueError):
                raise self.fail(f"exponent of {seg!r} is not a real number") from None
            if not p <= MAX_EXPONENT:
                raise self.fail(f"exponent of {seg!r} exceeds {MAX_EXPONENT} in magnitude")
            if base.is_number and base != 0:
                try:
                    logb = abs(_log10_abs(base))
                except (TypeError, ValueError):
                    raise self.fail(f"base of {seg!r} is not a real number") from None
                if p * logb > MAX_LOG10:
                    raise self.fail(f"{seg!r} exceeds 10**{MAX_LOG10} in magnitude")
        return base**exponent

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.reject(node.func)
        name = node.func.id
        if name not in self.functions:
            raise self.fail(f"unknown function {name!r} (functions: {', '.join(sorted(self.functions))})")
        if node.keywords:
            kw = node.keywords[0]
            raise self.fail(f"keyword argument {kw.arg or '**'!r} in {name}(...) is not allowed")
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.reject(a)
        fn, lo, hi = self.functions[name]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise self.fail(f"{name}() takes {want} argument(s), {len(node.args)} given")
        args = [self.build(a, depth + 1) for a in node.args]
        return fn(*args)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _paren_depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    return best


def _log10_abs(x: sympy.Expr) -> float:
    """log10 |x| of a numeric sympy expression without forming huge numbers."""
    if isinstance(x, sympy.Rational):
        p, q = abs(int(x.p)), int(x.q)
        return _log10_int(p) - _log10_int(q)
    v = complex(sympy.N(x, 15))
    return math.log10(abs(v)) if v != 0 else 0.0


def _log10_int(n: int) -> float:
    bits = n.bit_length()
    if bits < 1000:
        return math.log10(n)
    return (bits - 53) * math.log10(2) + math.log10(n >> (bits - 53))


def parse_expression(text: str, symbol: sympy.Symbol | None = None) -> sympy.Expr:
    """Build the sympy expression of ``text`` (a formula in ``z``) without evaluating any code.

    ``symbol`` is the sympy symbol used for ``z`` (default: :data:`asymptotics.activations.z`).
    Raises :class:`~asymptotics.errors.ExpressionError` for anything outside the grammar in the
    module docstring, including over-long or over-deep input and oversized constant powers.

    The result is a finite sympy expression: ``1/0``, ``log(0)`` and similar infinities are
    rejected here; real-valuedness and square-integrability are checked by ``get_activation``.
    """
    if symbol is None:
        from .activations import z as symbol
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"unknown activation: an expression of {len(text)} characters is longer than the limit of "
            f"{MAX_LENGTH}"
        )
    # "^" means a power (as in sympy's parser); replacing the token keeps Python's precedence of **
    stripped = text.strip().replace("^", "**")
    if not stripped:
        raise ExpressionError("empty expression")
    if _paren_depth(stripped) > MAX_DEPTH:
        raise ExpressionError(f"unknown activation {_short(text)!r}: brackets nested deeper than {MAX_DEPTH} levels")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"unknown activation {_short(text)!r}: not valid syntax{where}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes; pathological nesting
        raise ExpressionError(f"unknown activation {_short(text)!r}: cannot be parsed: {exc.__class__.__name__}") from None
    builder = _Builder(stripped, symbol)
    builder.root = tree.body
    try:
        expr = builder.build(tree.body, 0)
    except ExpressionError:
        raise
    except RecursionError:
        raise ExpressionError(f"unknown activation {_short(text)!r}: nesting too deep") from None
    except (TypeError, ValueError, ArithmeticError) as exc:  # e.g. Max of incomparable arguments
        raise ExpressionError(f"unknown activation {_short(text)!r}: cannot be built: {exc}") from None
    if not isinstance(expr, sympy.Expr):
        raise ExpressionError(f"unknown activation {_short(text)!r}: not a scalar expression")
    for p in expr.atoms(sympy.Pow):
        if p.exp.is_number and not abs(p.exp) <= MAX_TOTAL_EXPONENT:
            raise ExpressionError(
                f"unknown activation {_short(text)!r}: the power {_short(str(p), 40)} exceeds "
                f"{MAX_TOTAL_EXPONENT} in its exponent once combined"
            )
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ExpressionError(f"unknown activation {_short(text)!r}: the expression is infinite or undefined ({expr})")
    return expr
