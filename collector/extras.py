"""Optional features and the extras that install them.

The core install (``pip install sitload``) is what the live service needs. The rest
is installed with an extra and imported only where it is used; when it is missing,
the feature stops with one line naming the extra (exit 2 from the command line):

==============  =================  ====================================================
extra           installs           for
==============  =================  ====================================================
``parquet``     pyarrow            Parquet recordings (and faster large CSV files)
``sim``         bumble             ``simulate --ble``: the virtual BLE radio
``fit``         fitdecode          FIT ride files (``analyze ride.fit``, ``--ride``)
``influxdb``    influxdb-client    InfluxDB / VictoriaMetrics history
``all``         all of the above
==============  =================  ====================================================
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import IO, Final

import click

EXTRA_OF: Final = {
    "pyarrow": "parquet",
    "bumble": "sim",
    "fitdecode": "fit",
    "influxdb_client": "influxdb",
}
"""The extra that installs each optional module (top-level import name)."""

_PACKAGE: Final = {"influxdb_client": "influxdb-client"}
"""The package's name where it differs from its import name."""

EXIT_USAGE: Final = 2


def install_hint(module: str) -> str:
    """``pip install 'sitload[EXTRA]'`` for the extra that installs ``module``."""
    return f"pip install 'sitload[{EXTRA_OF[module.partition('.')[0]]}]'"


def missing_message(module: str, feature: str) -> str:
    """One line: what needs ``module`` and how to install it."""
    top = module.partition(".")[0]
    package = _PACKAGE.get(top, top)
    return f"{feature} needs {package}, which is not installed; run {install_hint(top)}"


class MissingExtraError(click.ClickException):
    """A feature's optional dependency is not installed. On the command line: its
    message on stderr (``sitload: error: …``) and exit 2, no traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, module: str, feature: str) -> None:
        super().__init__(missing_message(module, feature))
        self.module = module

    def show(self, file: IO[str] | None = None) -> None:
        click.echo(f"sitload: error: {self.message}", err=file is None, file=file)


def is_missing(exc: ImportError, module: str) -> bool:
    """Whether ``exc`` says ``module`` (or a part of it) is not installed, rather than
    something else going wrong while importing it."""
    name = exc.name or ""
    top = module.partition(".")[0]
    return name == top or name.startswith(f"{top}.") or module.startswith(f"{name}.")


def require(module: str, feature: str) -> ModuleType:
    """``import module``, or :class:`MissingExtraError` naming ``feature`` and the
    extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if not is_missing(exc, module):
            raise
        raise MissingExtraError(module, feature) from None
