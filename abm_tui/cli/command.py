"""What every `abm-tui` command is: a name, the sentence its --help opens with, its flags and its work.

A command module defines one `COMMAND`; `abm_tui.cli` lists them once, in the order --help names them.
A module stays cheap to import (argparse and the standard library at its top): what a command needs
from the pipeline it imports inside `add_arguments` or `run`, so `abm-tui --help` starts at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from abm_tui.errors import AbmError


class UsageError(AbmError):
    """The command was called the wrong way (exit 2, as argparse's own refusals), said in one line."""


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"abm-tui {self.name}", description=self.description)
        self.add_arguments(parser)
        return parser
