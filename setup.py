"""Packaging beyond pyproject.toml: the shipped plans in measures/ go into the package as
tracker/measures/*.yaml (package data), so that an installed wheel can run `tracker demo`."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["tracker", "tracker.*"]), "tracker.measures"],
    package_dir={"tracker.measures": "measures"},
)
