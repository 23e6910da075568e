"""The one place the version is written: the package build reads it (pyproject's [tool.hatch.version]),
and snapshots, manifests and `--version` record it, without importing the public API's root module."""

__version__ = "0.1.0"
