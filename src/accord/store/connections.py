"""Connections that translate driver errors into Accord errors at the boundary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from accord.errors import Conflict, StoreUnavailable


class guarded:
    """A connection context that turns driver errors into Accord errors."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    def __enter__(self) -> Connection:
        try:
            return self._ctx.__enter__()  # type: ignore[no-any-return]
        except OperationalError as exc:
            raise StoreUnavailable(f"cannot reach the database: {exc.orig}") from exc

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._ctx.__exit__(exc_type, exc, tb)
        except IntegrityError as err:
            raise Conflict("the write conflicts with stored data") from err
        if isinstance(exc, IntegrityError):
            raise Conflict("the write conflicts with stored data") from exc
        if isinstance(exc, OperationalError):
            raise StoreUnavailable("the database failed the operation") from exc
