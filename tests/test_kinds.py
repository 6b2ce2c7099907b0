"""The kind registry: every layer's per-kind names come from one table."""

from __future__ import annotations

from accord import dataset
from accord.domain.kinds import KINDS
from accord.domain.vocab import Kind
from accord.interop import stix_export, stix_mapping
from accord.web.api.records import PLURALS
from accord.web.pages.records import LABELS


def test_the_layers_read_the_registry() -> None:
    assert {k: PLURALS[k] for k in Kind} == {info.kind: info.plural for info in KINDS}
    assert {k: LABELS[k] for k in Kind} == {info.kind: info.label for info in KINDS}
    assert tuple(info.kind for info in KINDS) == stix_export.KIND_ORDER
    assert set(stix_mapping.NEW_TYPES) == {i.kind for i in KINDS if i.new_stix_type}
    assert set(dataset.PLURALS.values()) == set(Kind) - {Kind.EVIDENCE}
