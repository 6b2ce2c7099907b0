"""Dates with an explicit precision (day, month or year): never invent "1 January"."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from accord.domain.text import visible


class Precision(StrEnum):
    """How precisely a date is known."""

    YEAR = "year"
    MONTH = "month"
    DAY = "day"


#: ASCII digits only, the whole string (``\d`` would take other scripts' digits, and ``$`` a
#: trailing newline).
_PATTERNS = {
    Precision.YEAR: re.compile(r"[0-9]{4}"),
    Precision.MONTH: re.compile(r"[0-9]{4}-[0-9]{2}"),
    Precision.DAY: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}


def precision_of(text: str) -> Precision:
    """The precision a date string is written at; raises ValueError for any other form."""
    for precision, pattern in _PATTERNS.items():
        if pattern.fullmatch(text):
            return precision
    raise ValueError(f"'{visible(text)}' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")


class PartialDate(BaseModel):
    """A calendar date known to a year, a month or a day.

    Accepts ``"2017"``, ``"2017-05"``, ``"2017-05-12"`` (precision inferred), a ``date`` or an
    int year, or ``{"value": ..., "precision": ...}``, which must agree.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str
    precision: Precision

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, raw: Any) -> Any:
        if isinstance(raw, dt.date):
            return {"value": raw.isoformat()[:10], "precision": Precision.DAY}
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, str):
            return {"value": raw, "precision": precision_of(raw)}
        return raw

    @model_validator(mode="after")
    def _check(self) -> PartialDate:
        written = precision_of(self.value)
        if written is not self.precision:
            raise ValueError(
                f"'{self.value}' is written at {written.value} precision but precision "
                f"says {self.precision.value}"
            )
        try:
            self.earliest  # noqa: B018 - raises for 2017-13-45
        except ValueError as exc:
            raise ValueError(f"'{self.value}' is not a real date: {exc}") from None
        return self

    @property
    def earliest(self) -> dt.date:
        """The first day the date can denote (used for ordering, never displayed)."""
        parts = [int(p) for p in self.value.split("-")]
        return dt.date(
            parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1
        )

    @property
    def year(self) -> int:
        """The year of the date."""
        return int(self.value[:4])

    def __str__(self) -> str:
        return self.value
