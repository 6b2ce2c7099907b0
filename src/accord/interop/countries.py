"""Country names and codes → one ISO 3166-1 alpha-2 code, with the ``pycountry`` library.

Sources spell the same state many ways: "Iran (Islamic Republic of)" (UN style, CFR via MISP),
"Iran", "IR", "IRN", "Allemagne" (French, Paris Call). :func:`resolve` maps each of them to one
alpha-2 code or returns None; it never guesses (no fuzzy matching). Pure, no I/O beyond reading
pycountry's bundled data once.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import pycountry

from accord.domain.records import USER_ASSIGNED_COUNTRIES

#: Short English names in common use that ISO 3166 does not list as a name of the country.
#: Each entry is unambiguous; add one only with that certainty.
COMMON_NAMES = {
    "russia": "RU",
    "north korea": "KP",
    "south korea": "KR",
    "laos": "LA",
    "ivory coast": "CI",
    "turkey": "TR",
    "czech republic": "CZ",
    "macau": "MO",
    "usa": "US",
    "uk": "GB",
    "great britain": "GB",
}

#: Alpha-3 codes that ISO 3166-1 changed in place (the country stayed, its code changed). A
#: source that still uses the old code means the same country. ISO 3166-3 lists only *deleted*
#: countries (pycountry.historic_countries), not these code changes.
CHANGED_ALPHA3 = {
    "ROM": "ROU",  # Romania (ISO 3166-1 newsletter V-5, 2002)
    "ZAR": "COD",  # Zaire, now the Democratic Republic of the Congo (1997)
    "TMP": "TLS",  # East Timor, now Timor-Leste (2002)
}


@dataclass(frozen=True)
class CodeResult:
    """What a country code means: a current country, or why it is not one."""

    alpha2: str | None
    note: str | None = None


def normalise(text: str) -> str:
    """Casefold, strip accents and punctuation, drop a leading "the": the key names match on."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", plain.casefold()).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@cache
def _index() -> dict[str, str]:
    """Every known name → alpha-2: English and French ISO names, official and common names,
    and the head before a comma or parenthesis ("Palestine, State of" → "Palestine") when it
    names one country only."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    exact: dict[str, str] = {}
    heads: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        names = [
            str(n)
            for n in (
                country.name,
                getattr(country, "official_name", None),
                getattr(country, "common_name", None),
            )
            if n
        ]
        names += [french.gettext(n) for n in names]
        for name in names:
            exact.setdefault(normalise(name), code)
            head = re.split(r"[,(]", name, maxsplit=1)[0]
            if head != name:
                heads.setdefault(normalise(head), set()).add(code)
    for key, code in [*COMMON_NAMES.items(), *_user_assigned_names()]:
        exact.setdefault(key, code)
    for key, codes in heads.items():
        if len(codes) == 1 and key not in exact:
            exact[key] = next(iter(codes))
    return exact


def _user_assigned_names() -> list[tuple[str, str]]:
    return [(normalise(name), code) for code, name in USER_ASSIGNED_COUNTRIES.items()]


def resolve_code(code: str) -> CodeResult:
    """An alpha-2 or alpha-3 code → a current alpha-2 (an assigned code, or one of the
    user-assigned codes records accept), following documented code changes and ISO 3166-3
    withdrawals that have one successor. Read-only."""
    text = code.strip().upper()
    if len(text) == 2 and (found := pycountry.countries.get(alpha_2=text)) is not None:
        return CodeResult(str(found.alpha_2))
    if text in USER_ASSIGNED_COUNTRIES:
        return CodeResult(text)
    if len(text) == 3:
        if (found := pycountry.countries.get(alpha_3=text)) is not None:
            return CodeResult(str(found.alpha_2))
        new = pycountry.countries.get(alpha_3=CHANGED_ALPHA3.get(text, ""))
        if new is not None:
            return CodeResult(
                str(new.alpha_2),
                f"obsolete code {text} read as {CHANGED_ALPHA3[text]} ({new.alpha_2}): an "
                f"ISO 3166-1 code change",
            )
        old = pycountry.historic_countries.get(alpha_3=text)
        if old is not None:
            return CodeResult(
                None, f"{text} is the withdrawn code of {old.name}, which has no single successor"
            )
    return CodeResult(None, f"'{code}' is not an ISO 3166 country code")


def resolve_name(name: str) -> str | None:
    """A country name in English or French (ISO, UN or common form) → alpha-2, else None."""
    key = normalise(name)
    if not key:
        return None
    found = _index().get(key)
    if found is None:
        # UN style "Iran (Islamic Republic of)" and ISO style "Iran, Islamic Republic of" agree
        # once punctuation is gone; try the name without its parenthesis too.
        bare = normalise(re.sub(r"\(.*?\)", " ", name))
        found = _index().get(bare) if bare != key else None
    return found


def resolve(text: str) -> str | None:
    """A country code or name → alpha-2, else None (never a guess). Read-only."""
    stripped = text.strip()
    if re.fullmatch(r"[A-Za-z]{2,3}", stripped) and stripped.isupper():
        found = resolve_code(stripped).alpha2
        if found is not None:
            return found
    return resolve_name(stripped)


def display_name(alpha2: str) -> str:
    """The common English name of a country ("Iran", not "Iran, Islamic Republic of")."""
    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return USER_ASSIGNED_COUNTRIES.get(alpha2, alpha2)
    return str(getattr(country, "common_name", None) or country.name)
