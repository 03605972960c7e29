"""Cues of frustration in the words themselves, written by the team: no model, no lexicon files."""

from __future__ import annotations

import re

# Said to a bot that is not helping. Kept as phrases, not single words, so "I don't
# understand the return form" is not read as "you don't understand".
_FRUSTRATION_PHRASES = re.compile(
    r"\b(this is (useless|pointless|ridiculous|a joke|a waste)|(you are|you're|ur) (useless|"
    r"hopeless|no help)|useless|waste of (my )?time|you (don't|do not|dont) (understand|get it|"
    r"listen)|(i|I) (already|just) (told|said|gave)|not what i (asked|said|meant|wanted)"
    r"|that's not (it|right|what)|that is not (it|right|what)|are you (even )?listening|"
    r"(this|it) (doesn't|does not|isn't|is not) (help|work)|still (not|no|doesn't|isn't|waiting)"
    r"|how many times|again\?|for the (second|third|fourth|last) time|going (round|around) in "
    r"circles|makes no sense|give up|fed up|sick of|tired of|(thanks|thank you) for nothing)\b",
    re.IGNORECASE,
)
_INSULTS = re.compile(
    r"\b(stupid|idiot\w*|dumb|moron\w*|crap\w*|shit\w*|bullshit|damn\w*|wtf|ffs|fuck\w*|suck\w*|"
    r"garbage|trash|pathetic|incompetent|worst|terrible|awful|horrible|ridiculous|joke)\b",
    re.IGNORECASE,
)
_REPEATED_PUNCTUATION = re.compile(r"[!?]{2,}")
# Contradicting the bot: "no, ...", "that's wrong", "I said ...", "... instead".
_CORRECTION = re.compile(
    r"^\s*(no|nope|nah|wrong|not that)\b|\b(instead|actually|wrong|not what|i said|already|"
    r"again|that's not|that is not|rather|but i)\b",
    re.IGNORECASE,
)
# A "no" that declines an offer or closes the chat politely is not a correction.
_POLITE_NO = re.compile(
    r"\b(thanks|thank you|that's all|that is all|nothing else|that's it|that will be all|"
    r"i'm good|i am good|no need|all set|not (right )?now|not yet|later|not at (this|the) "
    r"moment|not at this time|bye|goodbye)\b",
    re.IGNORECASE,
)


def frustration_phrase(text: str) -> bool:
    return bool(_FRUSTRATION_PHRASES.search(text))


# Who a rude word is aimed at: "you idiots", "this bot is garbage" are insults; "damn" or
# "fucking finally" on their own are the customer's mood.
_AIMED_AT_US = re.compile(r"\b(you|your|you're|ur|u|bot|this|these|pinecone|company|shop|"
                          r"service|support|chat)\b", re.IGNORECASE)


def insult(text: str) -> bool:
    return bool(_INSULTS.search(text))


def aimed_at_us(text: str) -> bool:
    return bool(_AIMED_AT_US.search(text))


def repeated_punctuation(text: str) -> bool:
    return bool(_REPEATED_PUNCTUATION.search(text))


def correction(text: str) -> bool:
    return bool(_CORRECTION.search(text)) and not _POLITE_NO.search(text)


def capital_share(text: str) -> tuple[int, float]:
    """How many letters the text has, and the share of them in capitals."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0, 0.0
    return len(letters), sum(ch.isupper() for ch in letters) / len(letters)


# Saying they will take their money or their word elsewhere: the last warning before a
# customer is lost. Stems, not sentences, so "I'll dispute it with my bank", "chargeback",
# "never ordering from you again" and "leaving a review everywhere" all count.
_THREAT_TO_LEAVE = re.compile(
    r"\b(charge ?back|dispute|lawyer|attorney|small claims|consumer (protection|rights)|bbb|"
    r"better business|trading standards|"
    r"(bad|terrible|1[- ]star|one[- ]star|negative|honest) review|review (everywhere|online)|"
    r"trustpilot|yelp|social media|twitter|tell (everyone|all my friends)|"
    r"never (order|ordering|buy|buying|shop|shopping|use|using)\b.{0,20}\b(again|you)|"
    r"(shop|order|buy|go|going) (somewhere else|elsewhere)|competitor|"
    r"cancel (my|the) (whole )?(account|everything)|close my account|"
    r"done with (you|this|pinecone))",
    re.IGNORECASE,
)
# Words of praise (not plain thanks, which people also say to close a chat that went badly):
# sincere after a good answer, sarcastic after a failed one.
_PRAISE = re.compile(
    r"\b(great|wonderful|brilliant|fantastic|amazing|awesome|"
    r"perfect|lovely|super|helpful|genius|marvell?ous|splendid|terrific|impressive|"
    r"nice one|well done|good job|so helpful)\b",
    re.IGNORECASE,
)


def threat_to_leave(text: str) -> bool:
    return bool(_THREAT_TO_LEAVE.search(text))


def praise(text: str) -> bool:
    return bool(_PRAISE.search(text))


def word_count(text: str) -> int:
    return len(text.split())
