"""Organisations, users and API tokens: who may use an instance and as whom.

Passwords are hashed with argon2 (memory-hard); API tokens and web session ids are random,
and stored only as SHA-256 digests (they carry 256 bits of entropy, so a fast hash is enough).

Nothing here answers differently for an email that is not registered: signing in verifies a
password against a dummy hash when there is no such user, and a form naming readers by email
accepts only members of the writer's own organisation, refusing every other address alike.
Which organisations use the instance is for its signed-in members, unless an organisation is
``listed``: its own actor record is GREEN, or CLEAR when listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update

from accord import access
from accord.access import CURATORS_ORG, Viewer
from accord.domain.vocab import ActorKind, Marking, Sector, UserRole
from accord.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from accord.store.schema import api_tokens, organisations, records, users, web_sessions

if TYPE_CHECKING:
    from accord.kb import KnowledgeBase

TOKEN_PREFIX = "acc_"  # noqa: S105 - a visible prefix, not a secret
#: How long a web session lasts after signing in (unless signed out or deactivated before).
SESSION_LIFETIME = dt.timedelta(hours=12)
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
    listed: bool = False,
) -> str:
    """Register an organisation and, unless an actor with its id exists, its actor record.

    Writes one organisation row and at most one record, owned by the organisation: CLEAR when
    the organisation is ``listed`` (named to anyone), else GREEN (signed-in users only).
    """
    oid = org_id or slug(name)
    with kb.identity_tables(write=True) as conn:
        taken = conn.execute(
            select(organisations.c.id).where(
                (organisations.c.id == oid) | (organisations.c.name == name)
            )
        ).first()
        if taken:
            raise Conflict(f"an organisation named '{name}' or with id '{oid}' exists", record=oid)
        conn.execute(
            insert(organisations).values(
                id=oid, name=name, sector=sector.value, created_at=kb.now(), listed=listed
            )
        )
        has_actor = conn.execute(select(records.c.id).where(records.c.id == oid)).first()
    if not has_actor:
        kb.create(
            {
                "id": oid,
                "kind": "actor",
                "marking": _registration_marking(listed),
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
            _founder(oid),
        )
    return oid


def _founder(org_id: str) -> Viewer:
    """The organisation itself, acting on its own registration record."""
    return Viewer(user_id="system", org_id=org_id, role=UserRole.INSTANCE_ADMIN)


def _registration_marking(listed: bool) -> Marking:
    return Marking.CLEAR if listed else Marking.GREEN


def set_listed(kb: KnowledgeBase, org_id: str, listed: bool) -> None:
    """List an organisation publicly (or stop): its row's ``listed`` flag, and its own actor
    record re-marked CLEAR (or GREEN) as an audited revision by the organisation. Writes in
    two steps ordered to fail closed: the record is made GREEN before the flag is cleared,
    and made CLEAR only after the flag is set; running it again completes a partial change."""
    if not listed:
        _mark_registration(kb, org_id, listed)
    with kb.identity_tables(write=True) as conn:
        done = conn.execute(
            update(organisations).where(organisations.c.id == org_id).values(listed=listed)
        )
    if done.rowcount == 0:
        raise NotFound(f"no organisation '{org_id}'", field="org")
    if listed:
        _mark_registration(kb, org_id, listed)


def _mark_registration(kb: KnowledgeBase, org_id: str, listed: bool) -> None:
    """Re-mark the organisation's own actor record (if it has one, CLEAR or GREEN) to match."""
    founder = _founder(org_id)
    try:
        own = kb.get(org_id, founder)
    except NotFound:
        return
    wanted = _registration_marking(listed)
    public = own.marking in (Marking.CLEAR, Marking.GREEN)
    if own.owner == org_id and public and own.marking is not wanted:
        kb.set_marking(org_id, founder, wanted)


def hide_unlisted(kb: KnowledgeBase) -> list[str]:
    """Re-mark GREEN the own actor record of each organisation that is not listed but whose
    record is still CLEAR as registered (revision 1: registered before organisations chose,
    see migration 0012). A record its organisation has revised since is left as it is.
    Writes one audited revision per such organisation; returns their ids."""
    with kb.identity_tables() as conn:
        unlisted = list(
            conn.execute(select(organisations.c.id).where(organisations.c.listed.is_(False)))
            .scalars()
            .all()
        )
    hidden = []
    for org_id in unlisted:
        found = kb.get_many([org_id], _founder(org_id)).get(org_id)
        if (
            found is not None
            and found.owner == org_id
            and found.marking is Marking.CLEAR
            and found.revision == 1
        ):
            kb.set_marking(org_id, _founder(org_id), Marking.GREEN)
            hidden.append(org_id)
    return hidden


def is_listed(kb: KnowledgeBase, org_id: str) -> bool:
    """Whether the organisation chose to be named to anyone. Read-only."""
    with kb.identity_tables() as conn:
        listed = conn.execute(
            select(organisations.c.listed).where(organisations.c.id == org_id)
        ).scalar()
    if listed is None:
        raise NotFound(f"no organisation '{org_id}'", field="org")
    return bool(listed)


def ensure_curators(kb: KnowledgeBase) -> None:
    """Create the built-in 'Accord curators' organisation if it is missing. Writes at most once."""
    with kb.identity_tables() as conn:
        exists = conn.execute(
            select(organisations.c.id).where(organisations.c.id == CURATORS_ORG)
        ).first()
    if not exists:
        create_org(kb, "Accord curators", Sector.CIVIL_SOCIETY, org_id=CURATORS_ORG, listed=True)


def create_user(
    kb: KnowledgeBase, email: str, org_id: str, role: UserRole, *, password: str | None = None
) -> User:
    """Add a user to an organisation; the password, if any, is stored argon2-hashed. Writes."""
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise InvalidInput(f"'{email}' is not an email address", field="email")
    if password is not None and len(password) < 12:
        raise InvalidInput("a password needs at least 12 characters", field="password")
    user = User(id=f"user-{uuid.uuid4().hex[:16]}", email=email.lower(), org_id=org_id, role=role)
    with kb.identity_tables(write=True) as conn:
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
    with kb.identity_tables() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no user with email {email}", field="email")
    return _user_from_row(row)


def find_org(kb: KnowledgeBase, ref: str) -> str:
    """The id of the organisation whose id is ``ref``, else whose name is ``ref`` in any case.
    Read-only (organisations are few: they are compared in Python, Unicode-aware)."""
    with kb.identity_tables() as conn:
        named = conn.execute(select(organisations.c.id, organisations.c.name)).all()
    ids = [oid for oid, name in named if oid == ref]
    ids += [oid for oid, name in named if name.casefold() == ref.casefold()]
    if not ids:
        raise NotFound(f"no organisation with id or name '{ref}'", field="org")
    return str(ids[0])


def deactivate_user(kb: KnowledgeBase, email: str) -> None:
    """Deactivate a user: their tokens and web sessions stop working at once. Writes."""
    with kb.identity_tables(write=True) as conn:
        done = conn.execute(
            update(users).where(users.c.email == email.lower()).values(active=False)
        )
    if done.rowcount == 0:
        raise NotFound(f"no user with email {email}", field="email")


@cache
def _dummy_hash() -> str:
    """A hash of a random password, verified when there is no user, so that an unknown email
    costs the same argon2 work as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(32))


def check_password(kb: KnowledgeBase, email: str, password: str) -> User:
    """The user if the password matches, else Unauthenticated: the same error, after the same
    argon2 work, whether or not the email is registered, active or has a password. Read-only."""
    with kb.identity_tables() as conn:
        row = conn.execute(
            select(users).where(users.c.email == email.lower(), users.c.active.is_(True))
        ).first()
    stored = row.password_hash if row is not None else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
        if stored is None:
            raise VerifyMismatchError
    except (VerifyMismatchError, InvalidHashError):
        raise Unauthenticated("wrong email or password") from None
    return _user_from_row(row)


def named_readers(kb: KnowledgeBase, viewer: Viewer, names: Sequence[str]) -> list[str]:
    """The user ids of the RED readers a form names: each an email of an active member of the
    viewer's organisation, or a user id (checked when the record is written). Any other email,
    registered or not, is refused with the same message, so the answer never reveals whether
    an address is registered; and only a writer gets an answer at all. Read-only."""
    org = access.check_can_create(viewer)
    emails = [n.lower() for n in names if "@" in n]
    query = select(users.c.email, users.c.id).where(
        users.c.email.in_(emails), users.c.org_id == org, users.c.active.is_(True)
    )
    with kb.identity_tables() as conn:
        members = {email: uid for email, uid in conn.execute(query)} if emails else {}
    ids = []
    for name in names:
        if "@" not in name:
            ids.append(name)
        elif name.lower() in members:
            ids.append(members[name.lower()])
        else:
            raise InvalidInput(
                f"{name} is not the email of a member of {org}: name people of other "
                "organisations by their user id",
                field="readers",
            )
    return ids


def start_session(kb: KnowledgeBase, user: User) -> str:
    """Open a web session for the user: returns its random id (kept only as a digest). Writes
    one row, and removes every expired one."""
    session_id = secrets.token_urlsafe(32)
    now = kb.now()
    with kb.identity_tables(write=True) as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
        conn.execute(
            insert(web_sessions).values(
                id_hash=_token_digest(session_id),
                user_id=user.id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
    return session_id


def user_for_session(kb: KnowledgeBase, session_id: str) -> User:
    """The user of an open web session; Unauthenticated once it was ended, has expired or its
    user was deactivated. Read-only."""
    with kb.identity_tables() as conn:
        row = conn.execute(
            select(users, web_sessions.c.expires_at)
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(web_sessions.c.id_hash == _token_digest(session_id), users.c.active.is_(True))
        ).first()
    if row is None or _utc(row.expires_at) <= kb.now():
        raise Unauthenticated("the session has ended: sign in again")
    return _user_from_row(row)


def end_session(kb: KnowledgeBase, session_id: str) -> None:
    """End a web session at once (signing out): its id stops working everywhere. Writes."""
    with kb.identity_tables(write=True) as conn:
        conn.execute(
            delete(web_sessions).where(web_sessions.c.id_hash == _token_digest(session_id))
        )


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite returns naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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
    with kb.identity_tables(write=True) as conn:
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
    with kb.identity_tables(write=True) as conn:
        done = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=kb.now())
        )
    if done.rowcount == 0:
        raise NotFound(f"no active token '{token_id}'")


def user_for_token(kb: KnowledgeBase, token: str) -> User:
    """The user a bearer token belongs to; Unauthenticated if unknown, revoked or expired."""
    with kb.identity_tables() as conn:
        row = conn.execute(
            select(users, api_tokens.c.expires_at, api_tokens.c.revoked_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _token_digest(token), users.c.active.is_(True))
        ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the token is not valid")
    if row.expires_at is not None and _utc(row.expires_at) <= kb.now():
        raise Unauthenticated("the token has expired")
    return _user_from_row(row)
