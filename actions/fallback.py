"""Honest replies when the bot did not understand, and to thanks that may not be meant.

Not understood: a message in another language gets "I can only chat in English"; a second
miss in a row gets an offer of a person instead of the same request to rephrase, so nobody is
kept going in circles. Thanks right after the bot failed, or said in a negative tone ("thanks
a lot..."), gets an apology and the offer of a person instead of "Glad that helped".
"""

from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import records_person_offer
from bot.readability import OTHER_LANGUAGE, UNREADABLE_KEY
from router.scoring import cues
from router.scoring.settings import ScorerSettings
from router.transcript import CUSTOMER, lines_from_events

NOT_UNDERSTOOD = "utter_default"
NOT_UNDERSTOOD_AGAIN = "utter_default_offer_person"
NOT_ENGLISH = "utter_not_english"
# After the bot offered a person for a problem it cannot solve, a line it cannot read is
# most likely about that problem: the offer is made again, plainly.
REPEAT_OFFER = "utter_default_repeat_offer"
# Replies that say "I didn't understand you": after one of them, a second miss offers a person.
NOT_UNDERSTOOD_REPLIES = (NOT_UNDERSTOOD, NOT_UNDERSTOOD_AGAIN, NOT_ENGLISH, REPEAT_OFFER)
THANKS = "utter_thanks"
THANKS_AFTER_FAILURE = "utter_thanks_after_failure"

_SCORER = ScorerSettings()
# Replies after which thanks is probably not meant: the router's "the bot failed" replies
# (one list for both) and ours that say the bot did not understand.
FAILURE_REPLIES = frozenset(_SCORER.failure_responses) | set(NOT_UNDERSTOOD_REPLIES)


def previous_reply(tracker: Tracker) -> Optional[str]:
    """The response the bot said last before the customer's latest message (None if nothing
    since the session started or a person handed back, or if a person said the last line)."""
    lines = lines_from_events(tracker.events, since_fresh_start=True)
    if lines and lines[-1].speaker == CUSTOMER:
        lines = lines[:-1]
    for line in reversed(lines):
        if line.speaker != CUSTOMER:
            return line.response
    return None


def not_understood_reply(tracker: Tracker) -> str:
    """What to say to a message the bot could not make sense of."""
    previous = previous_reply(tracker)
    other_language = tracker.latest_message.get(UNREADABLE_KEY) in OTHER_LANGUAGE
    # Saying "English only" twice helps nobody who cannot write English: offer a person then.
    if other_language and previous != NOT_ENGLISH:
        return NOT_ENGLISH
    if previous in NOT_UNDERSTOOD_REPLIES:
        return NOT_UNDERSTOOD_AGAIN
    if previous in _SCORER.unsolved_offer_responses:
        return REPEAT_OFFER
    return NOT_UNDERSTOOD


def thanks_reply(tracker: Tracker) -> str:
    """"Glad that helped", unless the bot did not help or the thanks sounds unhappy."""
    score = (tracker.latest_message.get("sentiment") or {}).get("score")
    negative = isinstance(score, (int, float)) and score < _SCORER.sentiment_neutral_above
    previous = previous_reply(tracker)
    if previous in FAILURE_REPLIES:
        return THANKS_AFTER_FAILURE
    # After a real answer, thanks is meant even when the words read negative to VADER ("holy
    # crap that was fast, thanks"), unless they say the bot did not help ("thanks for
    # nothing, useless").
    text = tracker.latest_message.get("text") or ""
    unhappy_words = cues.frustration_phrase(text) or (cues.insult(text)
                                                      and cues.aimed_at_us(text))
    if negative and (previous not in _SCORER.done_responses or unhappy_words):
        return THANKS_AFTER_FAILURE
    return THANKS


class ActionNotUnderstood(Action):
    """Runs for `nlu_fallback`: unreadable, another language, or too unsure to guess."""

    def name(self) -> str:
        return "action_not_understood"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response=not_understood_reply(tracker))
        return []


class ActionReplyThanks(Action):
    def name(self) -> str:
        return "action_reply_thanks"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response=thanks_reply(tracker))
        return []
