"""Can the bot, which chats in English only, read a message at all? If not, why not.

Pure Python (no Rasa): the NLU component `bot.unreadable_messages.UnreadableMessageGuard`
records the reason in the parse data, and the action server (`actions/fallback.py`) picks its
reply by it: "I can only chat in English" for another language, "I didn't catch that" else.
"""

from __future__ import annotations

import re
import unicodedata
from typing import AbstractSet, Iterable, List, Optional, Set

# The parse data key the reason is stored under (in `/model/parse`, the tracker, and
# `tracker.latest_message` in actions).
UNREADABLE_KEY = "unreadable"
# The reasons.
EMPTY = "empty"  # nothing but white space
EMOJI = "emoji"  # no letters or digits at all: emoji, symbols or punctuation only
NOT_LATIN = "not_latin"  # letters, but none of the Latin alphabet: Chinese, Russian, Arabic...
NOT_ENGLISH = "not_english"  # Latin letters, but not a single word we know as English

# Reasons that mean "written in another language".
OTHER_LANGUAGE = (NOT_LATIN, NOT_ENGLISH)

# From this many words on, a message without one English word is taken to be in another
# language. Shorter ones ("gracias", "ok merci", "track 482913") are too short to tell, and a
# wrong "I only chat in English" to an English speaker is worse than a guess by the classifier.
MIN_WORDS_TO_TELL_LANGUAGE = 3

_ENGLISH_LETTER_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
# Emails and links: their parts ("jonas", "weber", "example") are not words of a language.
_ADDRESS = re.compile(r"\S*[@/]\S*")


def words(text: str) -> List[str]:
    """The words of a text, lower case, without emails, links, numbers or punctuation."""
    return _WORD.findall(_ADDRESS.sub(" ", text).lower())


def vocabulary(texts: Iterable[str]) -> Set[str]:
    """Every word used in `texts`, split the way `unreadable_reason` splits a message."""
    return {word for text in texts for word in words(text)}


def unreadable_reason(text: str, english_words: AbstractSet[str]) -> Optional[str]:
    """Why an English-only bot cannot read `text` (one of the reasons above), or None."""
    if not text.strip():
        return EMPTY
    if not _ENGLISH_LETTER_OR_DIGIT.search(text):
        letters = _LETTER.findall(text)
        if not letters:
            return EMOJI
        return NOT_ENGLISH if any(_is_latin(letter) for letter in letters) else NOT_LATIN
    message_words = words(text)
    if len(message_words) >= MIN_WORDS_TO_TELL_LANGUAGE and not any(
            word in english_words for word in message_words):
        return NOT_ENGLISH
    return None


def _is_latin(letter: str) -> bool:
    """"ñ", "ß" and "ø" are Latin letters, "я" and "字" are not."""
    return unicodedata.name(letter, "").startswith("LATIN")
