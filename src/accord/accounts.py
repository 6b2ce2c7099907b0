"""Organisations, users and API tokens: who may use an instance and as whom.

Passwords are hashed with argon2 (memory-hard); API tokens are random, shown once, and stored
only as SHA-256 digests (they carry 256 bits of entropy, so a fast hash is enough).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import insert, select, update

from accord.access import CURATORS_ORG, Viewer
from accord.domain.vocab import ActorKind, Marking, Sector, UserRole
from accord.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from accord.store.schema import api_tokens, organisations, records, users

if TYPE_CHECKING:
    from accord.kb import KnowledgeBase

TOKEN_PREFIX = "acc_"  # noqa: S105 - a visible prefix, not a secret
_hasher = PasswordHasher()
_ACTOR_KIND_OF_SECTOR = {
    Sector.GOVERNMENT: ActorKind.GOVERNMENT_BODY,
    Sector.PRIVATE: ActorKind.COMPANY,
    Sector.CIVIL_SOCIETY: ActorKind.CIVIL_SOCIETY,
    Sector.ACADEMIA: ActorKind.ACADEMIC,
    Sector.MEDIA: ActorKind.MEDIA,
}


@dataclass(frozen=True)
class User:
    """A user of the instance."""

    id: str
    email: str
    org_id: str
    role: UserRole

    @property
    def viewer(self) -> Viewer:
        """The user as a viewer for the sharing rules."""
        return Viewer(user_id=self.id, org_id=self.org_id, role=self.role)


def slug(text: str) -> str:
    """A lowercase id from a name: 'Acme Security Ltd.' → 'acme-security-ltd'."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not value:
        raise InvalidInput("the name has no letters or digits to make an id from", field="name")
    return value[:120]


def create_org(
    kb: KnowledgeBase,
    name: str,
    sector: Sector,
    *,
    website: str | None = None,
    org_id: str | None = None,
) -> str:
    """Register an organisation and, unless an actor with its id exists, its actor record.

    Writes one organisation row and at most one record (CLEAR, owned by the organisation).
    """
    oid = org_id or slug(name)
    with kb.engine.begin() as conn:
        taken = conn.execute(
            select(organisations.c.id).where(
                (organisations.c.id == oid) | (organisations.c.name == name)
            )
        ).first()
        if taken:
            raise Conflict(f"an organisation named '{name}' or with id '{oid}' exists", record=oid)
        conn.execute(
            insert(organisations).values(
                id=oid, name=name, sector=sector.value, created_at=kb.now()
            )
        )
        has_actor = conn.execute(select(records.c.id).where(records.c.id == oid)).first()
    if not has_actor:
        founder = Viewer(user_id="system", org_id=oid, role=UserRole.INSTANCE_ADMIN)
        kb.create(
            {
                "id": oid,
                "kind": "actor",
                "marking": Marking.CLEAR,
                "data": {"name": name, "kind": _ACTOR_KIND_OF_SECTOR[sector].value},
                "sources": [
                    {
                        "title": f"{name}: organisation registered on this Accord instance",
                        "publisher": name,
                        "url": website or f"https://accord.invalid/organisations/{oid}",
                        "date": kb.now().date().isoformat(),
                    }
                ],
            },
            founder,
        )
    return oid


def ensure_curators(kb: KnowledgeBase) -> None:
    """Create the built-in 'Accord curators' organisation if it is missing. Writes at most once."""
    with kb.engine.connect() as conn:
        exists = conn.execute(
            select(organisations.c.id).where(organisations.c.id == CURATORS_ORG)
        ).first()
    if not exists:
        create_org(kb, "Accord curators", Sector.CIVIL_SOCIETY, org_id=CURATORS_ORG)


def create_user(
    kb: KnowledgeBase, email: str, org_id: str, role: UserRole, *, password: str | None = None
) -> User:
    """Add a user to an organisation; the password, if any, is stored argon2-hashed. Writes."""
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise InvalidInput(f"'{email}' is not an email address", field="email")
    if password is not None and len(password) < 12:
        raise InvalidInput("a password needs at least 12 characters", field="password")
    user = User(id=f"user-{uuid.uuid4().hex[:16]}", email=email.lower(), org_id=org_id, role=role)
    with kb.engine.begin() as conn:
        if not conn.execute(select(organisations.c.id).where(organisations.c.id == org_id)).first():
            raise NotFound(f"no organisation '{org_id}'", field="org")
        if conn.execute(select(users.c.id).where(users.c.email == user.email)).first():
            raise Conflict(f"a user with email {user.email} exists", field="email")
        conn.execute(
            insert(users).values(
                id=user.id,
                email=user.email,
                org_id=org_id,
                role=role.value,
                password_hash=_hasher.hash(password) if password else None,
                created_at=kb.now(),
                active=True,
            )
        )
    return user


def _user_from_row(row: object) -> User:
    return User(id=row.id, email=row.email, org_id=row.org_id, role=UserRole(row.role))  # type: ignore[attr-defined]


def find_user(kb: KnowledgeBase, email: str, *, active_only: bool = False) -> User:
    """The user with this email (only if still active, with ``active_only``). Read-only."""
    query = select(users).where(users.c.email == email.lower())
    if active_only:
        query = query.where(users.c.active.is_(True))
    with kb.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no user with email {email}", field="email")
    return _user_from_row(row)


def deactivate_user(kb: KnowledgeBase, email: str) -> None:
    """Deactivate a user: their tokens and web sessions stop working at once. Writes."""
    with kb.engine.begin() as conn:
        done = conn.execute(
            update(users).where(users.c.email == email.lower()).values(active=False)
        )
    if done.rowcount == 0:
        raise NotFound(f"no user with email {email}", field="email")


def check_password(kb: KnowledgeBase, email: str, password: str) -> User:
    """The user if the password matches, else Unauthenticated (same error either way)."""
    with kb.engine.connect() as conn:
        row = conn.execute(
            select(users).where(users.c.email == email.lower(), users.c.active.is_(True))
        ).first()
    try:
        if row is None or row.password_hash is None:
            raise VerifyMismatchError
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        raise Unauthenticated("wrong email or password") from None
    return _user_from_row(row)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    kb: KnowledgeBase, email: str, *, expires_days: int | None = None
) -> tuple[str, str]:
    """Issue an API token for a user: returns (token id, token). The token is shown only now."""
    user = find_user(kb, email)
    if expires_days is not None and expires_days < 1:
        raise InvalidInput("expiry must be at least one day", field="expires")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = f"tok-{uuid.uuid4().hex[:12]}"
    now = kb.now()
    with kb.engine.begin() as conn:
        conn.execute(
            insert(api_tokens).values(
                id=token_id,
                user_id=user.id,
                token_hash=_token_digest(token),
                created_at=now,
                expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
            )
        )
    return token_id, token


def revoke_token(kb: KnowledgeBase, token_id: str) -> None:
    """Revoke a token by its id. Writes."""
    with kb.engine.begin() as conn:
        done = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=kb.now())
        )
    if done.rowcount == 0:
        raise NotFound(f"no active token '{token_id}'")


def user_for_token(kb: KnowledgeBase, token: str) -> User:
    """The user a bearer token belongs to; Unauthenticated if unknown, revoked or expired."""
    with kb.engine.connect() as conn:
        row = conn.execute(
            select(users, api_tokens.c.expires_at, api_tokens.c.revoked_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _token_digest(token), users.c.active.is_(True))
        ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the token is not valid")
    expires = row.expires_at
    if expires is not None:
        expires = expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)
        if expires <= kb.now():
            raise Unauthenticated("the token has expired")
    return _user_from_row(row)
