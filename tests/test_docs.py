"""Docs that tests keep honest: every CLI command, option and setting is documented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from accord.cli import app
from accord.web.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"
CLI_DOC = (DOCS / "cli.md").read_text(encoding="utf-8")


def _commands() -> Iterator[tuple[str, Any]]:
    """Every leaf command of the CLI with its path (Typer's own click, so duck-typed)."""
    root = typer.main.get_command(app)

    def walk(command: Any, path: str, ctx: Any) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                yield from walk(sub, f"{path} {name}", sub.context_class(sub, parent=ctx))
        else:
            yield path, command

    yield from walk(root, "accord", root.context_class(root))


COMMANDS = dict(_commands())


def _section(path: str) -> str:
    match = re.search(rf"^### `{re.escape(path)}`\n(.*?)(?=^### |\Z)", CLI_DOC, re.S | re.M)
    return match.group(1) if match else ""


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_a_section_naming_its_options(path: str) -> None:
    section = _section(path)
    assert section, f"docs/cli.md has no '### `{path}`' section"
    for param in COMMANDS[path].params:
        if param.param_type_name == "option":
            long = [o for o in param.opts if o.startswith("--")]
            assert any(o in section for o in long), f"{path}: option {long} undocumented"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"ACCORD_{field.upper()}" in CLI_DOC


@pytest.mark.parametrize("variable", ["ACCORD_REQUIRE_POSTGRES", "ACCORD_TEST_POSTGRES_URL"])
def test_test_settings_are_documented(variable: str) -> None:
    assert variable in CLI_DOC
