"""One function per frustration signal. Each looks at the conversation up to the newest
customer turn and says how strongly (0 to 1) that turn is evidence that the bot is failing the
customer, with a reason a person can read. The state (router/scoring/state.py) accumulates the
evidence over turns; every function here judges by the last few turns only, so scoring a turn
costs about the same at turn 5 and at turn 50 (`python -m bench.scoring`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from router.scoring import cues, meaning
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


def bot_replies(conversation: Conversation) -> List[BotTurn]:
    """What the bot said between the customer's previous line and the newest one (a form can
    answer with two lines: "I can't find that order" and "What's the number?")."""
    replies: List[BotTurn] = []
    seen_customer = False
    for turn in reversed(conversation):
        if isinstance(turn, UserTurn):
            if seen_customer:
                break
            seen_customer = True
        elif seen_customer:
            replies.append(turn)
    return list(reversed(replies))


def replied_with(conversation: Conversation, responses: Tuple[str, ...]) -> Optional[str]:
    """The first of the bot's latest replies that is one of `responses`, if any."""
    return next((turn.action for turn in bot_replies(conversation)
                 if turn.action in responses), None)


def _reply_key(turn: BotTurn) -> str:
    # A named response is the same reply whatever values were filled in; unnamed ones (USS,
    # a custom action's free text) are compared by their words.
    return turn.action if turn.action != "bot" else turn.text.strip().lower()


def is_request(turn: UserTurn, s: ScorerSettings) -> bool:
    return bool(turn.intent) and turn.intent not in s.non_request_intents


def understood(turn: UserTurn, s: ScorerSettings) -> bool:
    return turn.intent not in s.fallback_intents and turn.confidence >= s.low_confidence


def failure_context(conversation: Conversation, s: ScorerSettings) -> bool:
    """The bot's last reply failed (admitted it, or said the same as before), or the customer's
    previous line was not understood: praise now is not about a job well done."""
    if replied_with(conversation, s.failure_responses) or \
            bot_repeated(conversation, s).strength > 0:
        return True
    users = user_turns(conversation)
    return len(users) >= 2 and not understood(users[-2], s)


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
    scores = [turn.sentiment for turn in user_turns(conversation)[-(s.restate_window + 2):]]
    if len(scores) < 2:
        return Signal("sentiment_drop", 0.0)
    before = sentiment_ema(scores[:-1], s.sentiment_ema_alpha)
    drop = before - scores[-1]
    if drop <= 0 or scores[-1] >= s.sentiment_neutral_above:
        return Signal("sentiment_drop", 0.0)
    return Signal("sentiment_drop", _clip(drop / s.sentiment_drop_for_full_strength),
                  f"mood dropped from {before:+.2f} to {scores[-1]:+.2f}")


def repeated_request(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The same request as one of the last few, after the bot answered it: the answer did
    not help."""
    users = user_turns(conversation)
    latest = users[-1]
    if not is_request(latest, s) or not bot_turns(conversation):
        return Signal("repeated_request", 0.0)
    earlier = users[-(s.restate_window + 1):-1]
    times = sum(1 for turn in earlier if turn.intent == latest.intent) + 1
    if times == 1:
        return Signal("repeated_request", 0.0)
    return Signal("repeated_request", 1.0,
                  f"asked for {latest.intent} again ({times} times lately) after the bot answered")


def rephrased(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The customer says again, in other words, what they said a moment ago: whatever the
    NLU made of it, the bot's answer did not meet the need."""
    users = user_turns(conversation)
    latest = users[-1]
    if (not bot_turns(conversation) or cues.word_count(latest.text) < s.rephrase_min_words
            or latest.intent in s.decline_intents):
        return Signal("rephrased", 0.0)
    now = meaning.decode(latest.meaning)
    if now is None:
        return Signal("rephrased", 0.0)
    best, most_like = 0.0, 0
    earlier = users[-(s.restate_window + 1):-1]
    for back, turn in enumerate(reversed(earlier), start=1):
        if cues.word_count(turn.text) < s.rephrase_min_words:
            continue
        similar = meaning.similarity(now, meaning.decode(turn.meaning))
        if similar > best:
            best, most_like = similar, back
    strength = _clip((best - s.rephrase_from) / (s.rephrase_full - s.rephrase_from))
    if strength == 0:
        return Signal("rephrased", 0.0)
    ago = "the line before" if most_like == 1 else f"{most_like} lines before"
    return Signal("rephrased", strength,
                  f"says again what they said {ago}, in other words (similarity {best:.2f})")


def not_understood(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The NLU could not read the line (a fallback or a guess). Half strength when the line
    itself sounds content: a pleased customer the bot missed is not yet a failing one."""
    latest = _latest(conversation)
    if latest.intent is None or understood(latest, s):
        return Signal("not_understood", 0.0)
    strength = 0.5 if latest.sentiment >= s.delighted_from else 1.0
    return Signal("not_understood", strength, "the bot did not understand the message")


def bot_repeated(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The bot answered the newest line with what it said a moment ago. Only its answer (the
    first reply) counts: a task's question asked again after answering something else ("Visa,
    PayPal... Now, what's the order number?") is the task going on, not a loop."""
    replies = bot_replies(conversation)
    if not replies:
        return Signal("bot_repeated", 0.0)
    bots = bot_turns(conversation)
    before = bots[-(s.bot_repeat_window + len(replies)):-len(replies)]
    answer = _reply_key(replies[0])
    if not answer or all(_reply_key(turn) != answer for turn in before):
        return Signal("bot_repeated", 0.0)
    return Signal("bot_repeated", 1.0, "the bot gave the same reply again")


def bot_failed(conversation: Conversation, s: ScorerSettings) -> Signal:
    """The bot's last reply admitted it could not do what was asked. A "didn't catch that"
    after a line the NLU could not read is that line's not_understood, not counted twice."""
    failure = replied_with(conversation, s.failure_responses)
    if failure is None:
        return Signal("bot_failed", 0.0)
    users = user_turns(conversation)
    if len(users) >= 2 and not understood(users[-2], s):
        return Signal("bot_failed", 0.0)
    return Signal("bot_failed", 1.0, f"the bot could not help ({failure})")


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
    """Rude words: full strength when aimed at the shop or the bot, half when they only say
    the customer's mood; none in a delighted line ("holy crap that was fast, thanks"), which
    VADER often misreads as negative: positive wording, or thanks and praise after a reply
    that was not a failure."""
    latest = _latest(conversation)
    if not cues.insult(latest.text) or _delighted(conversation, s):
        return Signal("insult", 0.0)
    if cues.aimed_at_us(latest.text):
        return Signal("insult", 1.0, "insults the shop or the bot")
    return Signal("insult", 0.5, "swears")


def _delighted(conversation: Conversation, s: ScorerSettings) -> bool:
    latest = _latest(conversation)
    if latest.sentiment >= s.delighted_from:
        return True
    thanking = latest.intent == "thanks" or cues.praise(latest.text)
    return thanking and not failure_context(conversation, s)


def frustration_phrase(conversation: Conversation, s: ScorerSettings) -> Signal:
    if cues.frustration_phrase(_latest(conversation).text):
        return Signal("frustration_phrase", 1.0,
                      "says the bot is not helping (e.g. 'useless', 'I already told you')")
    return Signal("frustration_phrase", 0.0)


def correction(conversation: Conversation, s: ScorerSettings) -> Signal:
    latest = _latest(conversation)
    # "actually, forget it" changes the customer's own mind; it does not correct the bot.
    if latest.intent in s.stop_intents:
        return Signal("correction", 0.0)
    if bot_turns(conversation) and cues.correction(latest.text):
        return Signal("correction", 1.0, "contradicts the bot ('no, ...', 'I said', 'instead')")
    return Signal("correction", 0.0)


def gave_up(conversation: Conversation, s: ScorerSettings) -> Signal:
    """Dropping the task right after the bot failed at it: giving up, not changing one's
    mind ("ok forget it, I'll call my bank")."""
    if _latest(conversation).intent in s.stop_intents and failure_context(conversation, s):
        return Signal("gave_up", 1.0, "gave up on what they asked after the bot failed")
    return Signal("gave_up", 0.0)


def threat_to_leave(conversation: Conversation, s: ScorerSettings) -> Signal:
    if cues.threat_to_leave(_latest(conversation).text):
        return Signal("threat_to_leave", 1.0,
                      "threatens to leave (chargeback, dispute, bad review, going elsewhere)")
    return Signal("threat_to_leave", 0.0)


def sarcasm(conversation: Conversation, s: ScorerSettings) -> Signal:
    """Praise right after the bot admitted it failed: "wonderful, so helpful"."""
    if cues.praise(_latest(conversation).text) and \
            replied_with(conversation, s.failure_responses):
        return Signal("sarcasm", 1.0, "praise right after the bot failed (sarcasm)")
    return Signal("sarcasm", 0.0)


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
    "repeated_request": repeated_request,
    "rephrased": rephrased,
    "not_understood": not_understood,
    "bot_repeated": bot_repeated,
    "bot_failed": bot_failed,
    "complaint": complaint,
    "shouting": shouting,
    "punctuation": punctuation,
    "insult": insult,
    "frustration_phrase": frustration_phrase,
    "correction": correction,
    "threat_to_leave": threat_to_leave,
    "gave_up": gave_up,
    "sarcasm": sarcasm,
    "long_conversation": long_conversation,
}
