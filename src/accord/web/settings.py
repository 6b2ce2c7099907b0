"""Settings of a running Accord web app, read from arguments or ACCORD_* environment variables."""

from __future__ import annotations

import os
import secrets

from pydantic import BaseModel, ConfigDict, Field


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.isdigit() else default


class Settings(BaseModel):
    """Web app settings; every field also reads from its ACCORD_* environment variable."""

    model_config = ConfigDict(frozen=True)

    database_url: str | None = Field(default_factory=lambda: os.environ.get("ACCORD_DATABASE_URL"))
    max_body_bytes: int = Field(
        default_factory=lambda: _env_int("ACCORD_MAX_BODY_BYTES", 1_048_576)
    )
    session_secret: str = Field(
        default_factory=lambda: os.environ.get("ACCORD_SESSION_SECRET") or secrets.token_urlsafe(32)
    )
    secure_cookies: bool = Field(
        default_factory=lambda: os.environ.get("ACCORD_SECURE_COOKIES", "1") != "0"
    )
