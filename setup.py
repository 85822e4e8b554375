"""The package list for setuptools; every other piece of metadata is in pyproject.toml.

The simulation code lives in the top-level folder validation/ but installs as the subpackage
``asymptotics.validation`` (a top-level ``validation`` would clobber the unrelated PyPI package of
that name).  pyproject.toml's ``packages.find`` cannot rename a folder, and an explicit list goes
stale whenever a subpackage is added, so the packages are found here in both folders.
tests/test_package.py builds the wheel and checks that it holds every module of the source tree.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["asymptotics", "asymptotics.*"]),
        "asymptotics.validation",
        *(f"asymptotics.validation.{name}" for name in find_packages("validation")),
    ],
    package_dir={"asymptotics.validation": "validation"},
)
