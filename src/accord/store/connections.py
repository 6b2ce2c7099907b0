"""Connections that translate driver errors into Accord errors at the boundary."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from accord.errors import Conflict, StoreUnavailable


def unreachable(exc: DBAPIError, doing: str) -> StoreUnavailable:
    """A one-line StoreUnavailable for an operator (the CLI, ``accord init``): what failed and
    the first line of the driver's reason. The web API says only that the store is down."""
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no reason given"
    return StoreUnavailable(f"cannot {doing}: {reason}")


class guarded:
    """A connection context that turns driver errors into Accord errors.

    Takes the factory (``engine.connect`` or ``engine.begin``), not its result: opening the
    connection is what fails when the database cannot be reached, so it must happen inside
    the translation. Touches the database only through the connection it opens.
    """

    def __init__(self, open_connection: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._open = open_connection
        self._ctx: AbstractContextManager[Connection] | None = None

    def __enter__(self) -> Connection:
        try:
            self._ctx = self._open()
            return self._ctx.__enter__()
        except DBAPIError as exc:
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                raise StoreUnavailable("cannot reach the database") from exc
            raise

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self._ctx is not None
        try:
            self._ctx.__exit__(exc_type, exc, tb)
        except IntegrityError as err:
            raise Conflict("the write conflicts with stored data") from err
        except OperationalError as err:
            raise StoreUnavailable("the database failed the operation") from err
        if isinstance(exc, IntegrityError):
            raise Conflict("the write conflicts with stored data") from exc
        if isinstance(exc, OperationalError):
            raise StoreUnavailable("the database failed the operation") from exc
