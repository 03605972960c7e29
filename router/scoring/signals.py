"""One function per frustration signal. Each looks at the conversation up to the newest user
turn and returns its strength in [0, 1] with a reason a person can read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from router.scoring import cues
from router.scoring.conversation import BotTurn, Conversation, UserTurn, bot_turns, user_turns
from router.scoring.settings import ScorerSettings


@dataclass(frozen=True)
class Signal:
    name: str
    strength: float
    reason: Optional[str] = None


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


def _latest(conversation: Conversation) -> UserTurn:
    return user_turns(conversation)[-1]


def sentiment(conversation: Conversation, s: ScorerSettings) -> Signal:
    score = _latest(conversation).sentiment
    if score >= s.sentiment_neutral_above:
        return Signal("sentiment", 0.0)
    return Signal("sentiment", _clip(-score), f"negative wording (sentiment {score:+.2f})")


def sentiment_ema(scores: List[float], alpha: float) -> float:
    average = scores[0]
    for score in scores[1:]:
        average = alpha * score + (1 - alpha) * average
    return average


def sentiment_drop(conversation: Conversation, s: ScorerSettings) -> Signal:
    scores = [turn.sentiment for turn in user_turns(conversation)]
    if len(scores) < 2:
        return Signal("sentiment_drop", 0.0)
    before = sentiment_ema(scores[:-1], s.sentiment_ema_alpha)
    drop = before - scores[-1]
    if drop <= 0 or scores[-1] >= s.sentiment_neutral_above:
        return Signal("sentiment_drop", 0.0)
    return Signal("sentiment_drop", _clip(drop / s.sentiment_drop_for_full_strength),
                  f"mood dropped from {before:+.2f} to {scores[-1]:+.2f}")


def repeated_intent(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The same request again, right after the bot answered it: the answer did not help.
    Counts the run of identical requests at the end (a new topic in between resets it)."""
    users = user_turns(conversation)
    intent = users[-1].intent
    if not intent or intent in s.non_request_intents or not bot_turns(conversation):
        return Signal("repeated_intent", 0.0)
    repeats = 0
    for turn in reversed(users[:-1]):
        if turn.intent != intent:
            break
        repeats += 1
    if repeats == 0:
        return Signal("repeated_intent", 0.0)
    return Signal("repeated_intent", _clip(repeats / s.repeats_for_full_strength),
                  f"asked for {intent} again ({repeats + 1} times in a row) after the bot answered")


def _is_failed(turn: UserTurn, s: ScorerSettings) -> bool:
    return turn.intent in s.fallback_intents or (
        turn.intent is not None and turn.confidence < s.low_confidence)


def fallbacks(conversation: Conversation, s: ScorerSettings) -> Signal:
    users = user_turns(conversation)
    in_a_row = 0
    for turn in reversed(users):
        if not _is_failed(turn, s):
            break
        in_a_row += 1
    if in_a_row == 0:
        return Signal("fallbacks", 0.0)
    total = sum(_is_failed(turn, s) for turn in users)
    # Scattered misunderstandings count too, at half the rate of ones in a row.
    strength = max(in_a_row / s.fallbacks_for_full_strength,
                   total / (2 * s.fallbacks_for_full_strength))
    return Signal("fallbacks", _clip(strength),
                  f"bot did not understand {in_a_row} time(s) in a row ({total} in total)")


def bot_loop(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The bot giving the same reply again: the same response (its wording may differ in the
    filled-in values), or for unnamed replies the same text."""
    bots: List[BotTurn] = bot_turns(conversation)
    if len(bots) < s.bot_loop_length:
        return Signal("bot_loop", 0.0)
    last = bots[-s.bot_loop_length:]
    same = {turn.action if turn.action != "bot" else turn.text for turn in last}
    # Repeated "I didn't catch that" is the bot_failures signal's; not counted twice.
    if len(same) > 1 or last[-1].action in s.failure_responses:
        return Signal("bot_loop", 0.0)
    return Signal("bot_loop", 1.0, f"bot gave the same reply {s.bot_loop_length} times in a row")


def _moved_on(conversation: Conversation, s: ScorerSettings) -> bool:
    """A clearly understood request the customer has not made before: they have left the
    bot's earlier failures behind, which then no longer say the conversation is stuck."""
    users = user_turns(conversation)
    turn = users[-1]
    asked_before = any(earlier.intent == turn.intent for earlier in users[:-1])
    return (turn.intent is not None and turn.intent not in s.non_request_intents
            and turn.confidence >= s.low_confidence and not asked_before)


def bot_failures(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The bot's own replies admitting it failed ("didn't catch that", "can't find that
    order") among its recent replies."""
    if _moved_on(conversation, s):
        return Signal("bot_failures", 0.0)
    recent = bot_turns(conversation)[-s.bot_failure_window:]
    failures = sum(1 for turn in recent if turn.action in s.failure_responses)
    if failures == 0:
        return Signal("bot_failures", 0.0)
    return Signal("bot_failures", _clip(failures / s.bot_failures_for_full_strength),
                  f"the bot could not help {failures} time(s) in its last {len(recent)} replies")


def complaint(conversation: Conversation, s: ScorerSettings) -> Signal:
    if _latest(conversation).intent in s.complaint_intents:
        return Signal("complaint", 1.0, "customer is complaining")
    return Signal("complaint", 0.0)


def shouting(conversation: Conversation, s: ScorerSettings) -> Signal:
    letters, share = cues.capital_share(_latest(conversation).text)
    if letters >= s.shouting_min_letters and share >= s.shouting_capital_share:
        return Signal("shouting", 1.0, "writing in capitals")
    return Signal("shouting", 0.0)


def punctuation(conversation: Conversation, s: ScorerSettings) -> Signal:
    if cues.repeated_punctuation(_latest(conversation).text):
        return Signal("punctuation", 1.0, "repeated ?! marks")
    return Signal("punctuation", 0.0)


def insult(conversation: Conversation, s: ScorerSettings) -> Signal:
    if cues.insult(_latest(conversation).text):
        return Signal("insult", 1.0, "insult or profanity")
    return Signal("insult", 0.0)


def frustration_phrase(conversation: Conversation, s: ScorerSettings) -> Signal:
    if cues.frustration_phrase(_latest(conversation).text):
        return Signal("frustration_phrase", 1.0,
                      "says the bot is not helping (e.g. 'useless', 'I already told you')")
    return Signal("frustration_phrase", 0.0)


def correction(conversation: Conversation, s: ScorerSettings) -> Signal:
    if bot_turns(conversation) and cues.correction(_latest(conversation).text):
        return Signal("correction", 1.0, "contradicts the bot ('no, ...', 'I said', 'instead')")
    return Signal("correction", 0.0)


def long_conversation(conversation: Conversation, s: ScorerSettings) -> Signal:
    count = len(user_turns(conversation))
    if count < s.long_conversation_from:
        return Signal("long_conversation", 0.0)
    span = s.long_conversation_full - s.long_conversation_from
    strength = _clip((count - s.long_conversation_from + 1) / span)
    return Signal("long_conversation", strength, f"{count} messages without a resolution")


SIGNALS: Dict[str, Callable[[Conversation, ScorerSettings], Signal]] = {
    "sentiment": sentiment,
    "sentiment_drop": sentiment_drop,
    "repeated_intent": repeated_intent,
    "fallbacks": fallbacks,
    "bot_loop": bot_loop,
    "bot_failures": bot_failures,
    "complaint": complaint,
    "shouting": shouting,
    "punctuation": punctuation,
    "insult": insult,
    "frustration_phrase": frustration_phrase,
    "correction": correction,
    "long_conversation": long_conversation,
}
