"""Run the ``accord`` console entry point in process (as the console script does) and capture
what it printed; the ``accord`` fixture in tests/conftest.py hands this out to tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NamedTuple

import pytest

from accord.cli import main


class Run(NamedTuple):
    """What one CLI invocation printed and returned (unpacks as ``code, out, err``)."""

    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> str:
        """The standard output, after asserting the command succeeded."""
        assert self.returncode == 0, self.stderr
        return self.stdout


RunCli = Callable[..., Run]


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    db: str | None = None,
) -> Run:
    """Run ``accord *args [--db db]`` in process; what was printed before is discarded."""
    monkeypatch.setattr(sys, "argv", ["accord", *args, *(["--db", db] if db else [])])
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return Run(code, out.out, out.err)
