"""openmosprom: season planning, seat allocation and rosters for «Открой#Моспром»."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One source for the version: pyproject.toml, as installed.
    __version__ = version("openmosprom")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
