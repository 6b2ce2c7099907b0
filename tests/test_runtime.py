"""The collector settings of bulk work are set for the block and restored after it."""

from __future__ import annotations

import gc

import pytest

from accord.runtime import BULK_THRESHOLDS, fewer_collections


def test_nested_blocks_keep_the_bulk_setting_until_the_last_one_ends() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == BULK_THRESHOLDS
        with fewer_collections():
            assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == before


def test_the_setting_is_restored_when_the_block_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError
    assert gc.get_threshold() == before
