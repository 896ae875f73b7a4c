"""The package list, found: every package under o365tls/, plus o365tls.templates, which lives in
the top-level templates/ folder (package-dir in pyproject.toml) where no search finds it. The
rest of the project's configuration is in pyproject.toml."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["o365tls", "o365tls.*"]), "o365tls.templates"])
