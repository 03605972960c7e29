"""The what-if replay on hand-made conversations (tests/router/whatif_talks.py): the expected
decisions are computed with `assess_all`, the scorer the bot runs, on turns written beside the
events, not read from them."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict

import pytest

from router.channel_settings import ChannelSettings
from router.scoring import ScorerSettings
from router.scoring.combiner import LEARNED_MODEL_PATH, load_learned_model
from router.scoring.scorer import ASKED_FOR_A_PERSON
from router.whatif import (
    DECISION_ONLY,
    Staffing,
    StoredConversation,
    WhatIfSettings,
    conversation_from_json,
    differences,
    differences_by_channel,
    queue_load,
    replay,
    replay_one,
    same_evidence,
    stored_conversation,
    summarise,
)
from tests.router.whatif_talks import (
    DEFAULTS,
    START,
    all_talks,
    asks_for_a_person,
    expected,
    expected_by_session,
    grumble,
    handed_back,
    same_decision,
    sessions_in,
    stuck_politely,
)

PAIRS = {
    "raised threshold": (DEFAULTS, replace(DEFAULTS, handoff_threshold=0.8)),
    "lowered threshold": (DEFAULTS, replace(DEFAULTS, handoff_threshold=0.35)),
    "a weight": (DEFAULTS, ScorerSettings.from_mapping({"weights": {"repeated_request": 0.05}})),
    "no immediate intents": (DEFAULTS, replace(DEFAULTS, immediate_handoff_intents=())),
    "shadow mode": (DEFAULTS, replace(DEFAULTS, shadow_mode=True)),
    "retention (evidence changes)": (DEFAULTS, replace(DEFAULTS, retention=0.95)),
    "both differ from the defaults": (replace(DEFAULTS, handoff_threshold=0.4, retention=0.5),
                                      replace(DEFAULTS, progress_retention=0.6)),
}


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_each_decision_is_the_one_the_scorer_makes_under_each_settings(pair: str) -> None:
    current, proposed = PAIRS[pair]
    for talk in all_talks():
        # One outcome per Rasa session: each a conversation with its own first handoff.
        outcomes = replay([talk.stored()], current, proposed)
        where = (pair, talk.conversation_id)
        wanted = zip(expected_by_session(talk, current), expected_by_session(talk, proposed),
                     strict=True)
        for session, (outcome, (now, after)) in enumerate(zip(outcomes, wanted, strict=True)):
            assert (outcome.conversation_id, outcome.session) == (talk.conversation_id,
                                                                  session), where
            assert same_decision(outcome.now, now), where
            assert same_decision(outcome.after, after), where


def test_the_learned_combiner_is_replayed_as_the_bot_would_use_it() -> None:
    learned = load_learned_model(LEARNED_MODEL_PATH)
    assert learned is not None
    proposed = replace(DEFAULTS, combiner="learned")
    for talk in all_talks():
        outcomes = replay([talk.stored()], DEFAULTS, proposed, learned)
        wanted = zip(expected_by_session(talk, DEFAULTS, learned),
                     expected_by_session(talk, proposed, learned), strict=True)
        for outcome, (now, after) in zip(outcomes, wanted, strict=True):
            assert same_decision(outcome.now, now)
            assert same_decision(outcome.after, after)


def test_the_test_conversations_hand_off_where_they_were_written_to() -> None:
    # So the comparisons above compare something: handoffs of every kind, on known turns.
    wanted = {"calm": None, "grumble": None, "sessions": 4, "angry": 2, "person": 2,
              "handed_back": 2, "offer": 2}
    for talk in all_talks():
        if talk.conversation_id in wanted:
            decision = expected(talk, DEFAULTS)
            assert (decision[0] if decision else None) == wanted[talk.conversation_id]
    assert expected(asks_for_a_person(), DEFAULTS) == (2, ASKED_FOR_A_PERSON)
    assert expected(stuck_politely(), DEFAULTS) is not None


def _summary(current: ScorerSettings, proposed: ScorerSettings) -> Dict[str, Any]:
    outcomes = replay([t.stored() for t in all_talks()], current, proposed)
    return summarise(outcomes, (START, START + 7200), Staffing(2, 6, 1, 240.0, 10))


def test_a_higher_threshold_removes_handoffs_and_a_lower_one_adds_them() -> None:
    raised = _summary(DEFAULTS, replace(DEFAULTS, handoff_threshold=0.95))
    assert raised["handoffs_after"] < raised["handoffs_now"]
    assert raised["handoff_rate_after"] < raised["handoff_rate_now"]
    assert raised["by_reason_after"].get("frustration", 0) < raised["by_reason_now"]["frustration"]
    # The customer's own words do not depend on the threshold.
    assert raised["by_reason_after"]["asked_for_a_person"] == \
        raised["by_reason_now"]["asked_for_a_person"]
    lowered = _summary(DEFAULTS, replace(DEFAULTS, handoff_threshold=0.3))
    assert lowered["handoffs_after"] > lowered["handoffs_now"]
    assert lowered["conversations"] == sessions_in(all_talks())
    assert lowered["handoff_rate_now"] == round(
        lowered["handoffs_now"] / sessions_in(all_talks()), 3)


def test_a_changed_conversation_names_the_message_where_the_decisions_part() -> None:
    lower = replace(DEFAULTS, handoff_threshold=0.35)
    now, after = expected(stuck_politely(), DEFAULTS), expected(stuck_politely(), lower)
    assert now is not None and after is not None and after[0] < now[0]
    summary = _summary(DEFAULTS, lower)
    [change] = [c for c in summary["changed"] if c["conversation_id"] == "stuck"]
    assert change["message"] == after[0]
    assert (change["now"]["message"], change["after"]["message"]) == (now[0], after[0])
    assert change["now"]["reason"] == change["after"]["reason"] == "frustration"
    assert change["after"]["sentence"].startswith("The customer was getting frustrated")
    unchanged = {"calm", "person", "offer"}
    assert not unchanged & {c["conversation_id"] for c in summary["changed"]}
    assert summary["changed_count"] == len(summary["changed"])


def test_what_a_person_took_over_cannot_be_followed_past_the_takeover() -> None:
    """The live router handed "handed_back" off at message 2 and Sam took over. At a threshold
    the score never reaches, the bot would have gone on talking, but that talk was never
    lived: whether the customer would later have asked for a person is unknown. It is counted
    as unknown (the rate after lies between its value and its at-most), never shown as "no
    handoff after"; the request for a human made while Sam had it is not replayed either."""
    summary = _summary(DEFAULTS, replace(DEFAULTS, handoff_threshold=1.0))
    assert "handed_back" not in [c["conversation_id"] for c in summary["changed"]]
    assert summary["unknown_after"] >= 1 and summary["unknown_now"] == 0
    assert summary["handoff_rate_after_at_most"] == round(
        (summary["handoffs_after"] + summary["unknown_after"]) / summary["conversations"], 3)
    outcome = replay_one(handed_back().stored(), DEFAULTS, replace(DEFAULTS,
                                                                   handoff_threshold=1.0))
    assert outcome.now is not None and outcome.now.message == 2
    assert (outcome.after, outcome.after_unknown, outcome.changed) == (None, True, False)
    # A side that hands off before the takeover is known as usual.
    earlier = replay_one(handed_back().stored(), DEFAULTS, replace(
        DEFAULTS, handoff_threshold=0.2, concern_threshold=0.1))
    assert not earlier.after_unknown and earlier.after is not None


def test_the_customers_messages_are_numbered_across_the_whole_conversation() -> None:
    talk = handed_back()
    stored = talk.stored()
    assert [stretch.messages for stretch in stored.stretches] == [(1, 2), (4,)]
    assert (stored.first_at, stored.last_at) == (talk.events[0]["timestamp"],
                                                 talk.events[-1]["timestamp"])


def test_the_changed_list_is_bounded_but_every_change_is_counted() -> None:
    talks = [stuck_politely() for _ in range(5)]
    for number, talk in enumerate(talks):
        talk.conversation_id = f"stuck-{number}"
    outcomes = replay([t.stored() for t in talks], DEFAULTS, replace(DEFAULTS,
                                                                     handoff_threshold=0.35))
    summary = summarise(outcomes, (START, START + 3600), Staffing(1, 3, 1, 240.0, 0),
                        WhatIfSettings(changed_listed=2))
    assert summary["changed_count"] == 5 and len(summary["changed"]) == 2


def test_nothing_replayed_gives_no_rates() -> None:
    summary = summarise([], (START, START), Staffing(0, 0, 0, 240.0, 0))
    assert summary["conversations"] == 0
    assert summary["handoff_rate_now"] is None and summary["handoff_rate_after"] is None
    assert summary["queue_load"]["handoffs_per_hour_now"] is None


def test_a_tracker_that_is_not_json_or_has_no_events_list_is_not_read() -> None:
    assert conversation_from_json("x", "{not json") is None
    assert conversation_from_json("x", '{"events": 3}') is None
    assert conversation_from_json("x", '["a"]') is None
    assert conversation_from_json("x", '{"events": [1]}') is None
    read = conversation_from_json("x", '{"events": [], "name": "x"}')
    assert read is not None and read.stretches == ()


def test_the_queue_load_is_the_handoff_rate_against_what_the_team_can_take() -> None:
    load = queue_load(8, 4, (START, START + 4 * 3600), Staffing(3, 6, 2, 240.0, 12))
    assert load["handoffs_per_hour_now"] == 2.0 and load["handoffs_per_hour_after"] == 1.0
    # Six conversations at once, four minutes each: 90 an hour.
    assert load["capacity_per_hour"] == 90.0
    assert load["load_now"] == round(2 / 90, 3) and load["load_after"] == round(1 / 90, 3)
    assert "3 enabled accounts" in load["basis"] and "2 online now" in load["basis"]
    assert "median of the last 12" in load["basis"]
    nobody = queue_load(8, 4, (START, START + 3600), Staffing(0, 0, 0, 240.0, 0))
    assert nobody["load_now"] is None and "default" in nobody["basis"]


def test_only_evidence_settings_make_each_side_be_scored_on_its_own() -> None:
    assert same_evidence(DEFAULTS, replace(DEFAULTS, handoff_threshold=0.9, combiner="learned",
                                           weights={**DEFAULTS.weights, "insult": 0.9}))
    assert not same_evidence(DEFAULTS, replace(DEFAULTS, retention=0.8))
    assert not same_evidence(DEFAULTS, replace(DEFAULTS, complaint_intents=()))


def test_no_signal_or_state_reads_a_decision_only_setting() -> None:
    """If a signal started reading one, one pass could no longer serve both sides."""
    scoring = Path(__file__).parents[2] / "router" / "scoring"
    source = "".join((scoring / name).read_text()
                     for name in ("signals.py", "state.py", "cues.py", "meaning.py"))
    for name in DECISION_ONLY:
        assert not re.search(rf"\.{name}\b", source), name
    assert re.search(r"\.retention\b", source)  # the check can see a setting being read


def test_the_settings_that_differ_are_named() -> None:
    proposed = ScorerSettings.from_mapping({"handoff_threshold": 0.7,
                                            "weights": {"insult": 0.5}})
    assert differences(DEFAULTS, proposed) == ["handoff_threshold", "weights.insult"]
    assert differences(DEFAULTS, DEFAULTS) == []


def _on(channel: str, talk: Any) -> StoredConversation:
    """The talk as it came in on `channel` (Rasa writes it on each customer line)."""
    events = [{**e, "input_channel": channel} if e["event"] == "user" else e
              for e in talk.events]
    return stored_conversation(f"{talk.conversation_id}-{channel}", events)


def test_a_channels_override_changes_only_that_channels_conversations() -> None:
    lower = {"handoff_threshold": 0.35}
    on_web, on_telegram = _on("socketio", grumble()), _on("telegram", grumble())
    assert (on_web.channel, on_telegram.channel) == ("socketio", "telegram")
    current = ChannelSettings.from_overrides({})
    proposed = ChannelSettings.from_overrides({"channels": {"socketio": lower}})
    web, telegram = replay([on_web, on_telegram], current, proposed)
    # Computed apart: the grumble hands off only under the lower threshold.
    assert expected(grumble(), DEFAULTS) is None
    assert same_decision(web.after, expected(grumble(), ScorerSettings.from_mapping(lower)))
    assert web.now is None and web.changed
    assert telegram.now is None and telegram.after is None and not telegram.changed
    # The same override in the settings in effect: nothing changes on either channel.
    assert not any(o.changed for o in replay([on_web, on_telegram], proposed, proposed))


def test_a_what_if_names_what_changes_in_a_channel_beyond_the_general_changes() -> None:
    now = ChannelSettings.from_overrides({})
    after = ChannelSettings.from_overrides(
        {"handoff_threshold": 0.7,
         "channels": {"socketio": {"handoff_threshold": 0.45, "weights": {"insult": 0.6}}}})
    assert differences_by_channel(now, after) == [
        "handoff_threshold", "channels.socketio.weights.insult"]
    shadow_on_telegram = ChannelSettings.from_overrides(
        {"channels": {"telegram": {"shadow_mode": True}}})
    assert differences_by_channel(DEFAULTS, shadow_on_telegram) == [
        "channels.telegram.shadow_mode"]
    assert differences_by_channel(after, after) == []
