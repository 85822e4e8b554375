"""Run the doctests of the simulation package under its installed name, ``asymptotics.validation``.

The folder ``validation/`` installs as the subpackage ``asymptotics.validation`` (pyproject
``package-dir``).  Collecting it with ``--doctest-modules`` would import each file a second time
as a top-level ``validation.*`` module, so its doctests are run here instead, one test per module.
"""

import doctest
import importlib
import pkgutil

import pytest

import asymptotics.validation as validation

MODULES = sorted(m.name for m in pkgutil.walk_packages(validation.__path__, prefix="asymptotics.validation."))


def test_every_module_is_found():
    assert "asymptotics.validation.store" in MODULES
    assert "asymptotics.validation.one_step.simulation" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
