"""openmosprom: season planning, seat allocation and rosters for «Открой#Моспром»."""


def __getattr__(name: str) -> str:
    # Looked up only when asked for (--version): importlib.metadata costs a fifth of `--help`.
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        # One source for the version: pyproject.toml, as installed.
        return version("openmosprom")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
