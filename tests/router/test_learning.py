"""Learning from labels: each signal's precision counted by hand, a suggestion that recovers
the rule synthetic labels were made with, and a clear refusal with too few labels."""

from __future__ import annotations

import json
import random
from typing import Dict, List

import pytest

from router.handoff_labels import NEEDED, TOO_EARLY, TOO_LATE
from router.learning import (
    NAMES,
    LabelledHandoff,
    Target,
    TargetUnreachable,
    TooFewLabels,
    label_counts,
    labelled_handoff,
    noisy_or_score,
    overall,
    precision_by_signal,
    suggest,
)
from router.scoring.scorer import ASKED_FOR_A_PERSON
from router.scoring.settings import ScorerSettings


def handoff(label: str, *fired: str, evidence: Dict[str, float] | None = None,
            asked: bool = False) -> LabelledHandoff:
    return LabelledHandoff("1", label, evidence or {name: 1.0 for name in fired},
                           tuple(fired), asked)


def test_precision_per_signal_counts_too_late_as_needed() -> None:
    handoffs = [handoff(NEEDED, "insult", "sentiment"), handoff(TOO_LATE, "insult"),
                handoff(TOO_EARLY, "sentiment"), handoff(TOO_EARLY, "sentiment", "insult"),
                handoff(NEEDED)]
    rows = {row["signal"]: row for row in precision_by_signal(handoffs)}
    assert rows["insult"] == {"signal": "insult", "words": "insults", "fired": 3,
                            "needed": 2, "too_early": 1, "precision": 0.6667}
    assert (rows["sentiment"]["needed"], rows["sentiment"]["too_early"]) == (1, 2)
    assert rows["sentiment"]["precision"] == 0.3333
    assert rows["sarcasm"]["fired"] == 0 and rows["sarcasm"]["precision"] is None
    assert [row["signal"] for row in precision_by_signal(handoffs)][:2] == ["insult",
                                                                           "sentiment"]
    assert overall(handoffs) == {"handoffs": 5, "needed": 3, "too_early": 2, "precision": 0.6}
    assert label_counts(handoffs) == {NEEDED: 2, TOO_EARLY: 2, TOO_LATE: 1}


def test_a_stored_case_is_read_at_its_handoff_turn() -> None:
    assessment = {"score": 0.7, "handoff": True, "handoff_reason": ASKED_FOR_A_PERSON,
                  "contributions": {"insult": 0.45, "sentiment": 0.0, "made_up": 0.3},
                  "state": {"turn": 2, "evidence": {"insult": 1.0, "sentiment": 0.4}}}
    packet = {"transcript": [{"from": "customer", "text": "you idiot",
                              "assessment": assessment}]}
    case = {"case_id": "7", "label": TOO_EARLY, "packet": json.dumps(packet)}
    read = labelled_handoff(case)
    assert read == LabelledHandoff("7", TOO_EARLY, {"insult": 1.0, "sentiment": 0.4},
                                   ("insult",), True)
    assert labelled_handoff({**case, "label": "maybe"}) is None
    assert labelled_handoff({**case, "packet": "not json"}) == \
        LabelledHandoff("7", TOO_EARLY, {}, (), False)


# A known rule: three signals decide most, four say nothing about the need (weight 0), the
# others in between; a handoff was needed exactly when this scorer reaches the threshold.
STRONG = {"threat_to_leave": 0.6, "frustration_phrase": 0.5, "insult": 0.42}
USELESS = ("sentiment", "punctuation", "long_conversation", "shouting")


def true_weights() -> Dict[str, float]:
    middle = [n for n in NAMES if n not in STRONG and n not in USELESS]
    weights = {name: round(0.1 + 0.2 * i / len(middle), 3) for i, name in enumerate(middle)}
    return {**weights, **STRONG, **{name: 0.0 for name in USELESS}}


def synthetic(threshold: float, count: int, seed: int) -> List[LabelledHandoff]:
    rng, rule = random.Random(seed), true_weights()
    made = []
    for number in range(count):
        evidence = {name: round(rng.uniform(0.5, 2.5), 2) for name in NAMES
                    if rng.random() < 0.09}
        label = NEEDED if noisy_or_score(evidence, rule) >= threshold else TOO_EARLY
        made.append(LabelledHandoff(str(number), label, evidence, tuple(evidence)))
    return made


@pytest.mark.parametrize("threshold, seed", [(0.6, 1), (0.5, 2), (0.7, 3)])
def test_the_suggestion_recovers_the_rule_that_made_the_labels(threshold: float,
                                                               seed: int) -> None:
    handoffs = synthetic(threshold, 500, seed)
    # Today's weights are the rule's (at another threshold), so the scale is the rule's too.
    current = ScorerSettings(weights=true_weights())
    suggestion = suggest(handoffs, current, Target(precision=1.0))
    assert abs(suggestion.handoff_threshold - threshold) <= 0.05, suggestion.public()
    ranked = sorted(NAMES, key=lambda name: suggestion.weights[name], reverse=True)
    assert set(ranked[:3]) == set(STRONG)
    assert set(ranked[-len(USELESS):]) == set(USELESS)
    assert abs(suggestion.weights["threat_to_leave"] - 0.6) <= 0.05
    assert suggestion.after["precision"] == 1.0 and suggestion.now["rate"] == 1.0
    assert suggestion.after["needed_share_kept"] >= 0.95


def test_a_target_rate_keeps_at_most_that_share_with_the_smallest_threshold() -> None:
    handoffs = synthetic(0.6, 300, 4)
    suggestion = suggest(handoffs, ScorerSettings(), Target(rate=0.3))
    assert suggestion.after["rate"] <= 0.3
    lower = suggestion.handoff_threshold - 0.01
    kept_lower = sum(noisy_or_score(h.evidence, suggestion.weights) >= lower
                     for h in handoffs)
    assert kept_lower > 0.3 * len(handoffs)   # a hundredth lower would keep too many


def test_handoffs_the_customer_asked_for_are_kept_whatever_the_threshold() -> None:
    handoffs = synthetic(0.6, 200, 5)
    asked = [LabelledHandoff(str(i), NEEDED, {}, (), True) for i in range(100)]
    suggestion = suggest(handoffs + asked, ScorerSettings(), Target(rate=0.6))
    assert suggestion.after["kept"] >= 100
    with pytest.raises(TargetUnreachable, match="ask for a person"):
        suggest(handoffs + asked, ScorerSettings(), Target(rate=0.2))


def test_too_few_labels_are_refused_saying_how_many_are_needed() -> None:
    few = [handoff(NEEDED, "insult")] * 19 + [handoff(TOO_EARLY, "sentiment")]
    with pytest.raises(TooFewLabels, match="at least 20 labelled handoffs.*5 labelled too "
                                           "early.*there are 20 \\(19 needed or too late, 1 "
                                           "too early\\)"):
        suggest(few, ScorerSettings(), Target(rate=0.5))
    with pytest.raises(TooFewLabels, match="at least 20"):
        suggest(few[:10] + few[-1:] * 5, ScorerSettings(), Target(rate=0.5))


def test_a_target_is_a_rate_or_a_precision() -> None:
    with pytest.raises(ValueError):
        Target()
    with pytest.raises(ValueError):
        Target(rate=0.2, precision=0.8)


def test_the_suggested_overrides_keep_the_other_live_overrides_and_validate() -> None:
    handoffs = synthetic(0.2, 300, 6)
    current = ScorerSettings(concern_threshold=0.5)
    suggestion = suggest(handoffs, current, Target(precision=1.0))
    assert suggestion.handoff_threshold < 0.5   # so the concern threshold must come down
    overrides = suggestion.overrides({"retention": 0.6}, current)
    assert overrides["retention"] == 0.6
    settings = ScorerSettings.from_mapping(overrides)
    assert settings.handoff_threshold == suggestion.handoff_threshold
    assert settings.concern_threshold <= settings.handoff_threshold


def test_signals_the_labels_barely_show_keep_todays_weight() -> None:
    # The rule's labels, with two signals that never fire and one that fires 5 times.
    never, rarely = ("sarcasm", "shouting"), "punctuation"
    handoffs = []
    for h in synthetic(0.6, 500, 7):
        evidence = {name: value for name, value in h.evidence.items() if name not in never}
        handoffs.append(LabelledHandoff(h.case_id, h.label, evidence, tuple(evidence)))
    seen = 0
    for index, h in enumerate(handoffs):
        if rarely in h.evidence:
            seen += 1
            if seen > 5:
                evidence = {k: v for k, v in h.evidence.items() if k != rarely}
                handoffs[index] = LabelledHandoff(h.case_id, h.label, evidence, tuple(evidence))
    current = ScorerSettings(weights={**true_weights(), "sarcasm": 0.33, "shouting": 0.21,
                                      "punctuation": 0.12})
    suggestion = suggest(handoffs, current, Target(precision=1.0))
    for name in (*never, rarely):
        assert suggestion.weights[name] == current.weight(name)
        assert suggestion.kept[name] == "kept: too few labelled handoffs where it counted"
        assert name not in suggestion.coefficients
    assert set(suggestion.kept) == {*never, rarely}
    assert suggestion.public()["kept"] == suggestion.kept
    assert abs(suggestion.weights["threat_to_leave"] - 0.6) <= 0.05


def test_only_handoffs_the_score_made_are_fitted() -> None:
    handoffs = synthetic(0.6, 400, 8)
    # Customers who asked in words for a person while threatening to leave, the agent found
    # it too early: it says nothing about the score, which did not hand them off.
    asked = [LabelledHandoff(f"a{i}", TOO_EARLY, {"threat_to_leave": 2.0},
                             ("threat_to_leave",), True) for i in range(150)]
    alone = suggest(handoffs, ScorerSettings(), Target(precision=1.0))
    mixed = suggest(handoffs + asked, ScorerSettings(), Target(rate=0.9))
    assert mixed.weights == alone.weights
    assert mixed.coefficients == alone.coefficients
    assert mixed.labels == len(handoffs) + len(asked)


def test_too_few_handoffs_made_by_the_score_are_refused() -> None:
    asked = [handoff(NEEDED, "insult", asked=True)] * 30 + \
        [handoff(TOO_EARLY, "insult", asked=True)] * 30
    with pytest.raises(TooFewLabels, match="the score made .*there are 0"):
        suggest(asked, ScorerSettings(), Target(rate=0.9))
