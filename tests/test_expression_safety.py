"""Expression strings are parsed by a whitelist, never executed (asymptotics.expressions).

Every injection string must raise ActivationError (ExpressionError for the grammar), quickly, and
leave the working directory untouched.  Legitimate expressions (README, tests, docs) must parse.
"""

import time

import numpy as np
import pytest
import sympy

from asymptotics.activations import get_activation, z
from asymptotics.errors import ActivationError, ExpressionError, UnknownActivationError
from asymptotics.expressions import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, parse_expression

# Each entry: (string, a fragment the error message must contain: the offending token).
INJECTIONS = [
    ("__import__('pathlib').Path('x').touch()", ".touch"),
    ("__import__('os').system('touch pwned')", ".system"),
    ("__import__('os')", "__import__"),
    ("().__class__.__bases__[0].__subclasses__()", ".__subclasses__"),
    ("().__class__", ".__class__"),
    ("z.__class__", ".__class__"),
    ("lambda: 0", "lambda"),
    ("(lambda: __import__('os'))()", "lambda"),
    ("open('pwned', 'w').write('x')", ".write"),
    ("open('pwned', 'w')", "open"),
    ("exec('open(\"pwned\", \"w\")')", "exec"),
    ("eval('1')", "eval"),
    ("compile('1', 'f', 'eval')", "compile"),
    ("getattr(z, 'real')", "getattr"),
    ("globals()", "globals"),
    ("__builtins__", "__builtins__"),
    ("sympy.exp(z)", ".exp"),
    ("Symbol('x')", "Symbol"),
    ("S('z')", "'S'"),
    ("Function('f')(z)", "Function"),
    ("f'{z}'", "f-string"),
    ("'abc'", "str"),
    ("b'z'", "bytes"),
    ("[z for z in range(3)]", "comprehension"),
    ("(z for z in (1,))", "generator"),
    ("tanh(z)[0]", "subscript"),
    ("tanh(z=1)", "keyword"),
    ("tanh(*[z])", "starred"),
    ("tanh(**{})", "keyword"),
    ("(y := 1)", "assignment"),
    ("z if z else 0", "conditional"),
    ("z < 1", "comparison"),
    ("z and 1", "boolean"),
    ("{z}", "set"),
    ("z // 2", "FloorDiv"),
    ("z % 2", "Mod"),
    ("z @ z", "MatMult"),
    ("~z", "Invert"),
    ("1j*z", "complex"),
    ("True", "bool"),
    ("None", "NoneType"),
    ("z_1", "z_1"),
    ("_z", "_z"),
    ("x + 1", "'x'"),
    ("I*z", "'I'"),
    ("exp(I*z)", "'I'"),
    ("oo", "'oo'"),
    ("zoo*z", "'zoo'"),
    ("nan", "'nan'"),
    ("floor(z)", "floor"),
    ("DiracDelta(z)", "DiracDelta"),
    ("tan(z)", "'tan'"),
    ("import os", "syntax"),
    ("z; import os", "syntax"),
    ("a = 1", "syntax"),
    ("\x00", "syntax"),
    ("tanh(", "syntax"),
    ("9**9**9**9", "exceeds"),
    ("10**10**10", "exceeds"),
    ("2**1000000", "exceeds"),
    ("(z + 1)**1000", "exceeds"),
    ("(10**100)**100", "exceeds"),
    ("((9**99)**10)**10", "exceeds"),
    ("1e400*z", "out of the floating-point range"),
    ("1" * 150 + "*z", "longer than"),
    ("((z**100)**100)**100", "exceeds 1000"),
    ("(-1)**z", "exponent"),
    ("z**z", "exponent"),
    ("2**(z**2)", "exponent"),
    ("1/0", "infinite"),
    ("log(0)*z", "infinite"),
    ("exp(z, 2)", "takes 1"),
    ("Max(z)", "takes 2 to 8"),
    ("tanh + 1", "must be called"),
    ("(" * 100 + "z" + ")" * 100, "nested deeper"),
    ("(" * 300 + "z" + ")" * 300, "longer than"),
    ("-" * 450 + "z", "nesting deeper"),
    ("tanh(" * 50 + "z" + ")" * 50, "nested deeper"),
    ("z" * (MAX_LENGTH + 1), "longer than"),
]

# Parse fine but are not real activations: specific ActivationError from get_activation.
NOT_ACTIVATIONS = [
    ("sqrt(z)", "complex-valued"),
    ("log(z)", "complex-valued"),
    ("z**0.5", "complex-valued"),
    ("z**(1/3)", "complex-valued"),
    ("sqrt(-1)*z", "complex-valued"),
    ("log(-1)*z", "complex-valued"),
    ("sqrt(z - 5)", "complex-valued"),
    ("exp(z**2)", "square-integrable"),
    ("exp(exp(exp(z)))", "square-integrable"),
    ("exp(exp(exp(10**100*z))) - 2*exp(exp(exp(10**100*z)))", "square-integrable"),
    ("cosh(exp(exp(z)))", "square-integrable"),
    ("1/cos(z)", "singular points"),
    ("1/sin(z) + tanh(z)", "singular points"),
]


@pytest.mark.parametrize("text, token", INJECTIONS, ids=range(len(INJECTIONS)))
def test_injection_rejected_without_side_effect(text, token, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    with pytest.raises(ActivationError) as info:
        get_activation(text)
    # generous bound: the point is "no hang" (each of these takes ~1 ms when idle)
    assert time.perf_counter() - t0 < 5.0
    assert isinstance(info.value, ExpressionError)
    assert token.lower() in str(info.value).lower(), str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing was created


@pytest.mark.parametrize("text, reason", NOT_ACTIVATIONS, ids=[t for t, _ in NOT_ACTIVATIONS])
def test_non_real_or_non_integrable_rejected(text, reason):
    with pytest.raises(ActivationError, match=reason):
        get_activation(text)


def test_expression_error_is_both_unknown_and_activation_error():
    with pytest.raises(UnknownActivationError):
        get_activation("foo(z)")
    with pytest.raises(ActivationError):
        get_activation("foo(z)")
    with pytest.raises(ValueError):  # ActivationError is a ValueError
        get_activation("foo(z)")


def test_parser_never_calls_sympify_or_eval(monkeypatch):
    """The whole parse of a legitimate and of a malicious expression without sympify / eval."""

    def boom(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("sympify/eval called on user text")

    monkeypatch.setattr(sympy, "sympify", boom)
    monkeypatch.setattr(sympy, "parse_expr", boom, raising=False)
    monkeypatch.setattr("builtins.eval", boom)
    monkeypatch.setattr("builtins.exec", boom)
    assert parse_expression("tanh(z) + 0.1*z**2", z) == sympy.tanh(z) + sympy.Float("0.1") * z**2
    with pytest.raises(ExpressionError):
        parse_expression("__import__('os').system('true')", z)


GOOD = [
    ("tanh(z) + 0.1*z**2", lambda x: np.tanh(x) + 0.1 * x**2),
    ("relu(z) - 1/sqrt(2*pi)", lambda x: np.maximum(x, 0) - 1 / np.sqrt(2 * np.pi)),
    ("z**3 - 3*z", lambda x: x**3 - 3 * x),
    ("z^3 - 3*z", lambda x: x**3 - 3 * x),  # ^ is a power, with the precedence of **
    ("z + 0.5*z**2 + sin(z)", lambda x: x + 0.5 * x**2 + np.sin(x)),
    ("tanh(z + 1/2)", lambda x: np.tanh(x + 0.5)),
    ("relu(z - 1) + abs(z + 2)", lambda x: np.maximum(x - 1, 0) + np.abs(x + 2)),
    ("Max(z, 0) + Min(z, -1)", lambda x: np.maximum(x, 0) + np.minimum(x, -1)),
    ("Abs(z)**(-0.25)", lambda x: np.abs(x) ** -0.25),
    ("log(abs(z))", lambda x: np.log(np.abs(x))),
    ("exp(-z**2/4) * cosh(z/2)", lambda x: np.exp(-x * x / 4) * np.cosh(x / 2)),
    ("2.5e-1*erfc(z) + atan(z) - asinh(z)", lambda x: 0.25 * __import__("scipy").special.erfc(x) + np.arctan(x) - np.arcsinh(x)),
    ("he3(z) + gelu(z) - silu(z) + sigmoid(2*z) + softplus(-z)",
     lambda x: (x**3 - 3 * x) / np.sqrt(6) + x * __import__("scipy").special.ndtr(x)
     - x / (1 + np.exp(-x)) + 1 / (1 + np.exp(-2 * x)) + np.log1p(np.exp(-x))),
    ("Heaviside(z) * z + sign(z)", lambda x: (x > 0) * x + np.sign(x)),
    ("-(+z) + E**(-z**2) * pi", lambda x: -x + np.exp(-x * x) * np.pi),
    ("z" + "+z" * 200, lambda x: 201 * x),  # a long flat sum is not "deep"
]


@pytest.mark.parametrize("text, ref", GOOD, ids=[t[:30] for t, _ in GOOD])
def test_legitimate_expressions(text, ref):
    act = get_activation(text)
    x = np.array([-2.3, -0.7, 0.4, 1.9])
    np.testing.assert_allclose(act(x), ref(x), rtol=1e-12, atol=1e-12)


def test_every_whitelisted_function_parses():
    names = set(FUNCTIONS)
    assert {"relu", "tanh", "erf", "he6", "exp", "log", "sqrt", "Max", "Min", "Heaviside", "abs"} <= names
    for name in names:
        arg = "z, 0" if name in ("Max", "Min") else "z"
        assert parse_expression(f"{name}({arg})", z).has(z) or name == "sign"


def test_limits_are_exact():
    parse_expression("z**%d" % MAX_EXPONENT, z)
    with pytest.raises(ExpressionError, match="exceeds"):
        parse_expression("z**%d" % (MAX_EXPONENT + 1), z)
    parse_expression("(" * MAX_DEPTH + "z" + ")" * MAX_DEPTH, z)
    with pytest.raises(ExpressionError, match="deeper"):
        parse_expression("(" * (MAX_DEPTH + 1) + "z" + ")" * (MAX_DEPTH + 1), z)
    ok = "z" + " " * (MAX_LENGTH - 1)
    assert parse_expression(ok, z) == z
    with pytest.raises(ExpressionError, match="longer"):
        parse_expression(ok + " ", z)
