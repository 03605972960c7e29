"""Sentence embeddings as compact text: the direction survives, damage is tolerated."""

import numpy as np
import pytest

from router.scoring import meaning


def test_the_direction_survives_the_round_trip() -> None:
    vector = np.random.default_rng(1).normal(size=384)
    decoded = meaning.decode(meaning.encode(vector))
    assert decoded is not None
    assert meaning.similarity(decoded, vector / np.linalg.norm(vector)) > 0.99
    assert len(meaning.encode(vector)) == 512


@pytest.mark.parametrize("damaged", [None, "", "not base64!!", 42, "AAAA"])
def test_a_missing_or_damaged_value_is_unknown(damaged: object) -> None:
    assert meaning.decode(damaged) is None  # type: ignore[arg-type]


def test_unknown_or_mismatched_vectors_are_not_similar() -> None:
    assert meaning.similarity(None, np.ones(3)) == 0.0
    assert meaning.similarity(np.ones(3) / 3 ** 0.5, np.ones(4) / 2) == 0.0
    assert meaning.encode(np.zeros(4)) == ""
