"""Passwords: how strong a new one must be (zxcvbn), and hashing with scrypt (standard
library). Both are slow on purpose or by nature, so call them from async code through
`asyncio.to_thread`."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Sequence

from zxcvbn import zxcvbn

# scrypt cost: n=2**14, r=8, p=1 is the interactive-login setting in the scrypt paper.
N, R, P = 2**14, 8, 1
# NIST SP 800-63B asks for at least 8; 12 leaves room for a few plain words (a passphrase).
MIN_LENGTH = 12
# zxcvbn's score 0-4; 3 means "safely unguessable" (about 10^8+ guesses) for an online attack,
# which is what the sign-in lockout leaves an attacker.
MIN_SCORE = 3
# zxcvbn's own default limit: its cost grows quickly with length (0.2 s at 200 characters),
# and 72 characters that are strong do not become weak by what follows.
ASSESSED_LENGTH = 72
# Words anyone would try first against this service, besides the account's own id and name.
SERVICE_WORDS = ("pinecone", "supply", "router", "console", "agent", "admin")
_WORD = re.compile(r"[a-z0-9]{3,}")


class WeakPassword(ValueError):
    pass


def check_strength(password: str, personal: Sequence[str] = ()) -> None:
    """Refuses a password a guesser would find soon, saying why. `personal`: the account's
    id and name, which zxcvbn treats as the first words a guesser tries."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters; "
                           f"this one has {len(password)}.")
    if not password.strip():
        raise WeakPassword("A password cannot be only spaces.")
    words = _guessable_words(personal)
    _require_score(password, words)
    # zxcvbn scores "pinecone-admin" as three parts and so as strong; what is left without
    # the account's and the service's names must be strong on its own.
    leftover = _without(password, words)
    if leftover != password.lower():
        _require_score(leftover, (), "It is mostly your id, your name or the service's name: "
                                     "add words of your own.")


def _guessable_words(personal: Sequence[str]) -> list[str]:
    found = {word for value in personal for word in _WORD.findall(value.lower())}
    return sorted(found | set(SERVICE_WORDS))


def _without(password: str, words: Sequence[str]) -> str:
    leftover = password.lower()
    for word in sorted(words, key=len, reverse=True):
        leftover = leftover.replace(word, "")
    return leftover


def _require_score(password: str, words: Sequence[str], reason: str = "") -> None:
    verdict = zxcvbn(password[:ASSESSED_LENGTH], user_inputs=list(words))
    if verdict["score"] >= MIN_SCORE:
        return
    feedback = verdict["feedback"]
    advice = reason or feedback["warning"] or "It would be guessed too easily."
    tips = " ".join(feedback["suggestions"]) or "Add another word or two; uncommon words " \
                                                "are better."
    raise WeakPassword(f"That password is too easy to guess. {advice} {tips}".strip())


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)
