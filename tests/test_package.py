"""The top-level package: every public name resolves, and importing it is cheap (lazy submodules)."""

import subprocess
import sys

import pytest

import asymptotics
from asymptotics import errors


@pytest.mark.parametrize("name", asymptotics.__all__)
def test_every_public_name_resolves(name):
    obj = getattr(asymptotics, name)
    assert obj is getattr(sys.modules[f"asymptotics.{asymptotics._WHERE[name]}"], name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        asymptotics.not_a_name  # noqa: B018


def test_version_is_the_distribution_version():
    from importlib.metadata import version

    assert asymptotics.__version__ == version("twolayer-asymptotics")


def test_import_is_lazy():
    """``import asymptotics`` loads no submodule and neither sympy nor scipy."""
    code = ("import sys, asymptotics; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sympy', 'scipy', 'asymptotics')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['asymptotics']"


def test_error_hierarchy_is_exported():
    for name in ("AsymptoticsError", "InvalidParameterError", "ResourceError", "ExpressionError"):
        assert getattr(asymptotics, name) is getattr(errors, name)
