"""What a customer's line means, as a compact vector: the NLU pipeline's sentence embedding
(all-MiniLM-L6-v2, unit length), quantised to signed bytes and base64-encoded so it can ride
along in Rasa's parse data and the tracker (512 characters a line).

Two lines that say the same thing in other words ("where's my parcel" / "my package still
hasn't come") have similar vectors; the router uses that to notice a customer restating a
need, whatever the NLU made of the words.
"""

from __future__ import annotations

import base64
import binascii
from typing import Optional

import numpy as np

# int8 keeps the direction to within ~1% of cosine similarity at a quarter of float32's size.
_QUANT_LEVELS = 127


def encode(embedding: np.ndarray) -> str:
    """A vector as text; only its direction is kept."""
    vector = np.asarray(embedding, dtype=np.float32).ravel()
    peak = float(np.max(np.abs(vector))) if vector.size else 0.0
    if peak == 0.0:
        return ""
    quantised = np.round(vector / peak * _QUANT_LEVELS).astype(np.int8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def decode(text: Optional[str]) -> Optional[np.ndarray]:
    """The unit vector `encode` made, or None for a missing or damaged value."""
    if not text or not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw:
        return None
    vector = np.frombuffer(raw, dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


def similarity(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> float:
    """Cosine similarity of two decoded vectors; 0 when either is unknown."""
    if a is None or b is None or a.shape != b.shape:
        return 0.0
    return float(np.dot(a, b))
