"""Our internal names as people say them, for the agents' console: which channel a customer
came from, what they asked for, and why the bot stepped aside, in a sentence.

Agents read "web chat", "asked where an order is" and "The customer asked for a person", not
"socketio", "order_status" and "frustration 0.80 reached 0.60". The technical values stay in
the packet for admins and tools; these are added beside them. Pure.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from router.scoring.scorer import (
    ACCEPTED_OFFER,
    ASKED_FOR_A_PERSON,
    ONLY_A_PERSON,
    STILL_ON_IT,
)

CHANNELS: Mapping[str, str] = {
    "socketio": "web chat",
    "rest": "the shop's own system",
    "callback": "the shop's own system",
    "telegram": "Telegram",
    "slack": "Slack",
    "facebook": "Facebook Messenger",
    "twilio": "text message",
    "webexteams": "Webex",
    "rocketchat": "Rocket.Chat",
    "mattermost": "Mattermost",
}

INTENTS: Mapping[str, str] = {
    "greet": "said hello",
    "goodbye": "said goodbye",
    "thanks": "said thanks",
    "bot_challenge": "asked whether this is a bot",
    "affirm": "said yes",
    "deny": "said no",
    "inform": "gave details",
    "nevermind": "dropped what they asked",
    "order_status": "asked where an order is",
    "track_package": "asked to track a parcel",
    "shipping_times": "asked how long delivery takes",
    "shipping_costs": "asked what shipping costs",
    "return_policy": "asked about returns",
    "start_return": "wants to return something",
    "refund_status": "asked about a refund",
    "cancel_order": "wants to cancel an order",
    "change_address": "wants to change a delivery address",
    "payment_methods": "asked how they can pay",
    "payment_failed": "has a payment that failed",
    "product_availability": "asked whether something is in stock",
    "store_hours": "asked when the shop is open",
    "contact": "asked how to reach the team",
    "reset_password": "cannot sign in to their account",
    "update_account": "wants to change account details",
    "complain": "is complaining",
    "request_human": "asked for a person",
    "out_of_scope": "asked something the shop does not do",
    "item_damaged": "received something damaged",
    "item_missing": "is missing something from an order",
    "wrong_item": "received the wrong item",
    "parcel_not_received": "never received a parcel marked delivered",
    "billing_problem": "was charged wrongly",
    "subscription": "asked about the Pinecone Plus membership",
    "invoice": "wants an invoice",
    "rate_handoff": "rated the help they got",
    "nlu_fallback": "said something the bot did not understand",
}

SIGNALS: Mapping[str, str] = {
    "sentiment": "negative words",
    "sentiment_drop": "a turn for the worse in their mood",
    "repeated_request": "asking for the same thing again",
    "rephrased": "saying the same thing in other words",
    "not_understood": "messages the bot did not understand",
    "bot_repeated": "the bot repeating itself",
    "bot_failed": "the bot failing to help",
    "complaint": "a complaint",
    "shouting": "writing in capitals",
    "punctuation": "!!! and ???",
    "insult": "insults",
    "frustration_phrase": "saying they are fed up",
    "correction": "correcting the bot",
    "threat_to_leave": "threatening to leave or dispute",
    "gave_up": "giving up",
    "sarcasm": "sarcasm",
    "long_conversation": "a long conversation without a solution",
}


def channel_name(channel: Optional[str]) -> str:
    if not channel:
        return "unknown channel"
    return CHANNELS.get(channel, channel.replace("_", " ").capitalize())


def intent_phrase(intent: Optional[str]) -> Optional[str]:
    if not intent:
        return None
    return INTENTS.get(intent, intent.replace("_", " "))


def handoff_sentence(reason: Optional[str], assessment: Optional[Dict[str, Any]]) -> str:
    """Why the bot stepped aside, said to a colleague."""
    reason = reason or ""
    if reason.startswith(ASKED_FOR_A_PERSON):
        return "The customer asked for a person."
    if reason.startswith(ONLY_A_PERSON):
        intent = reason[len(ONLY_A_PERSON):].strip(" ()")
        what = intent_phrase(intent) if intent else None
        return ("Only a person can solve this: the customer "
                f"{what or 'has a problem the bot cannot solve'}.")
    if reason.startswith(ACCEPTED_OFFER):
        return "The bot offered a person and the customer said yes."
    if reason.startswith(STILL_ON_IT):
        return ("The bot said it could not solve this and offered a person; the customer "
                "kept on about it.")
    signs = _strongest_signs(assessment)
    if signs:
        return f"The customer was getting frustrated: {', '.join(signs)}."
    return (reason[:1].upper() + reason[1:] + ".") if reason else "The bot handed over."


def _strongest_signs(assessment: Optional[Dict[str, Any]], most: int = 3) -> list:
    shares = (assessment or {}).get("contributions") or {}
    ranked = sorted((name for name, share in shares.items() if share and name in SIGNALS),
                    key=lambda name: shares[name], reverse=True)
    return [SIGNALS[name] for name in ranked[:most]]


# The customer's rating of the person who helped them, as the buttons they clicked say it
# (actions/after_handoff.py offers them).
RATINGS: Mapping[str, str] = {"5": "Great", "3": "Okay", "1": "Not good"}


def rating_words(rating: Optional[str]) -> Optional[str]:
    return RATINGS.get(rating or "")


def outcome_sentence(outcome: Optional[str], agent_name: Optional[str]) -> str:
    """How a handoff ended, said to a colleague reading it later."""
    who = agent_name or "the team"
    if outcome == "resolved":
        return f"Resolved by {who}."
    if outcome == "handed_back":
        return f"Handed back to the bot by {who}."
    if outcome == "expired":
        return "Nobody could take it in time: it became a ticket."
    return "Ended."
