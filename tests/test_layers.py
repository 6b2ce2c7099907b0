"""The door to the data is a structure, not a convention: checked on the source itself.

Only the store (``accord/store/``) and the knowledge base (``accord/kb.py``) hold the engine and
open connections; :mod:`accord.accounts` reaches the identity tables through
``KnowledgeBase.identity_tables``; everything else reads records through a viewer-bound
:class:`accord.reader.Reader`, which refuses a statement without its viewer's sharing filter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "accord"
DOOR = {"kb.py", "reader.py"}
#: Modules that connect to something else than Accord's database, and why.
ELSEWHERE = {"interop/stix_index.py": "its own temporary sqlite3 file indexing one bundle"}
#: Attributes that open or hold a connection: the door's alone.
CONNECTING = {"engine", "_engine", "connect", "begin", "dbapi_connection", "raw_connection"}
#: Modules that hold connections or build engines: imported by the door alone.
PRIVATE_MODULES = {"accord.store.engine", "accord.store.connections"}


def _outside_the_door() -> list[Path]:
    return sorted(
        p
        for p in SRC.rglob("*.py")
        if p.relative_to(SRC).parts[0] != "store"
        and p.relative_to(SRC).as_posix() not in DOOR | set(ELSEWHERE)
    )


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CONNECTING:
            found.append(f"line {node.lineno}: .{node.attr}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "identity_tables"
            and path.name != "accounts.py"
        ):
            found.append(f"line {node.lineno}: .identity_tables outside accounts.py")
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {f"{node.module}.{a.name}" for a in node.names} | {node.module}
            if names & PRIVATE_MODULES:
                found.append(f"line {node.lineno}: imports {sorted(names & PRIVATE_MODULES)}")
            if node.module == "sqlalchemy" and {"create_engine", "Engine"} & {
                a.name for a in node.names
            }:
                found.append(f"line {node.lineno}: builds an engine")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in PRIVATE_MODULES:
                    found.append(f"line {node.lineno}: imports {alias.name}")
    return found


@pytest.mark.parametrize("path", _outside_the_door(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_module_outside_the_store_opens_a_connection(path: Path) -> None:
    assert _offences(path) == []


def test_the_check_finds_an_engine_used_outside_the_door(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from accord.store.engine import make_engine\n"
        "def peek(kb):\n"
        "    with kb._engine.connect() as conn:\n"
        "        return conn.execute('select body from records').all()\n"
    )
    assert len(_offences(sneaky)) == 3
