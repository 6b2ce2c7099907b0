"""Country names and codes from different sources resolve to one alpha-2 code, never a guess."""

from __future__ import annotations

import pytest

from accord.interop.countries import display_name, resolve, resolve_code, resolve_name


@pytest.mark.parametrize(
    "text", ["Iran (Islamic Republic of)", "Iran", "IR", "IRN", "Iran, Islamic Republic of"]
)
def test_spellings_of_iran_resolve_to_one_code(text: str) -> None:
    assert resolve(text) == "IR"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Allemagne", "DE"),
        ("Royaume-Uni", "GB"),
        ("États-Unis", "US"),
        ("Corée du Sud", "KR"),
        ("Korea (Democratic People's Republic of)", "KP"),
        ("People's Republic of China", "CN"),
        ("Russian Federation", "RU"),
        ("Palestine", "PS"),
        ("US", "US"),
        ("Vietnam", "VN"),
    ],
)
def test_french_un_and_short_names_resolve(text: str, code: str) -> None:
    assert resolve(text) == code


@pytest.mark.parametrize("text", ["Unknown", "Europe (region)", "Korea", "", "Atlantis"])
def test_unknown_or_ambiguous_names_are_not_guessed(text: str) -> None:
    assert resolve(text) is None


def test_changed_alpha3_code_is_read_with_a_note() -> None:
    result = resolve_code("ROM")
    assert result.alpha2 == "RO"
    assert result.note
    assert "ROU" in result.note


def test_withdrawn_code_with_several_successors_is_reported() -> None:
    result = resolve_code("SCG")
    assert result.alpha2 is None
    assert result.note
    assert "Serbia and Montenegro" in result.note


def test_code_that_never_existed_is_reported() -> None:
    result = resolve_code("MTG")
    assert result.alpha2 is None
    assert result.note
    assert "not an ISO 3166" in result.note
    assert resolve_name("Monténégro") == "ME"


def test_display_name_is_the_common_name() -> None:
    assert display_name("IR") == "Iran"
    assert display_name("KR") == "South Korea"
