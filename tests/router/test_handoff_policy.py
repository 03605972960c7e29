"""The policy inside Rasa: builds the scorer's conversation from a tracker, records the
assessment every turn, predicts the handoff only when it is due."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff_policy import HandoffPolicy, conversation_from_tracker
from router.channel_settings import ChannelSettings, Settings, as_channel_settings
from router.scoring import ScorerSettings
from stack.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def policy(tmp_path: Path) -> HandoffPolicy:
    return HandoffPolicy.create(HandoffPolicy.get_default_config(), LocalModelStorage(tmp_path),
                                Resource("handoff"), ExecutionContext(None))  # type: ignore[arg-type]


def said(text: str, intent: str, sentiment: float = 0.0, confidence: float = 0.9,
         channel: str | None = None) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": confidence},
                       parse_data={"intent": {"name": intent, "confidence": confidence},
                                   "sentiment": {"score": sentiment}, "text": text,
                                   "entities": []},
                       input_channel=channel)


def tracker(domain: Domain, *events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c-1", list(events), domain.slots)  # type: ignore[arg-type]


def predicted(policy: HandoffPolicy, domain: Domain, t: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(t, domain)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return domain.action_names_or_texts[best] if prediction.probabilities[best] > 0 else None


def test_the_conversation_starts_at_the_latest_session(domain: Domain) -> None:
    t = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME), said("old", "greet"),
                SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME), said("new", "greet", -0.4),
                BotUttered("Hi", metadata={"utter_action": "utter_greet"}))
    turns, previous = conversation_from_tracker(t)
    assert previous is None
    assert [turn.text for turn in turns] == ["new", "Hi"]
    assert turns[0].sentiment == -0.4 and turns[1].action == "utter_greet"


def test_a_calm_turn_is_recorded_and_the_policy_abstains(policy: HandoffPolicy,
                                                        domain: Domain) -> None:
    t = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME), said("hi", "greet"))
    prediction = policy.predict_action_probabilities(t, domain)
    assert max(prediction.probabilities) == 0.0
    [event] = prediction.events
    assert event.key == "frustration" and event.value["handoff"] is False


def test_a_clear_problem_only_a_person_can_solve_predicts_the_handoff(
        policy: HandoffPolicy, domain: Domain) -> None:
    clear = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME),
                    said("my parcel never came", "parcel_not_received", confidence=0.95))
    assert predicted(policy, domain, clear) == "action_handoff"
    # Less sure, the policy leaves it to the rules: an honest answer and an offer of a person.
    unsure = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME),
                     said("my parcel never came", "parcel_not_received", confidence=0.7))
    assert predicted(policy, domain, unsure) is None


def test_asking_for_a_person_predicts_the_handoff(policy: HandoffPolicy, domain: Domain) -> None:
    t = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME), said("a human please", "request_human"))
    assert predicted(policy, domain, t) == "action_handoff"


def test_after_an_unanswered_handoff_the_bot_listens(policy: HandoffPolicy,
                                                     domain: Domain) -> None:
    t = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME), said("human", "request_human"),
                ActionExecuted("action_handoff"))
    assert predicted(policy, domain, t) == ACTION_LISTEN_NAME


def test_between_actions_the_policy_stays_out_of_the_way(policy: HandoffPolicy,
                                                         domain: Domain) -> None:
    t = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME), said("hi", "greet"),
                ActionExecuted("utter_greet"))
    prediction = policy.predict_action_probabilities(t, domain)
    assert max(prediction.probabilities) == 0.0 and prediction.events == []


class _Fixed:
    """LiveSettings without Redis: the same settings on every turn."""

    def __init__(self, settings: Settings) -> None:
        self.settings = as_channel_settings(settings)

    @property
    def current(self) -> ScorerSettings:
        return self.settings.general

    def for_channel(self, channel: str | None) -> ScorerSettings:
        return self.settings.for_channel(channel)


def test_in_shadow_mode_the_policy_records_but_never_hands_off(policy: HandoffPolicy,
                                                               domain: Domain) -> None:
    policy.settings = _Fixed(ScorerSettings(shadow_mode=True))  # type: ignore[assignment]
    t = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME), said("a human please", "request_human"))
    prediction = policy.predict_action_probabilities(t, domain)
    assert max(prediction.probabilities) == 0.0
    [event] = prediction.events
    assert event.value["handoff"] is True  # what it would have done, for the admin to see


def test_the_state_of_the_last_assessment_is_carried_to_the_next_turn(
        policy: HandoffPolicy, domain: Domain) -> None:
    first = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME),
                    said("this is useless", "complain", -0.5))
    [recorded] = policy.predict_action_probabilities(first, domain).events
    later = tracker(domain, ActionExecuted(ACTION_LISTEN_NAME),
                    said("this is useless", "complain", -0.5), recorded,
                    BotUttered("Sorry", metadata={"utter_action": "utter_complain"}),
                    ActionExecuted(ACTION_LISTEN_NAME), said("hm", "inform"))
    _, previous = conversation_from_tracker(later)
    assert previous is not None and previous.turn == 1
    assert previous.evidence == recorded.value["state"]["evidence"]


def test_a_turn_on_a_channel_with_a_lower_threshold_hands_off_where_the_general_would_not(
        policy: HandoffPolicy, domain: Domain) -> None:
    policy.settings = _Fixed(ChannelSettings.from_overrides(  # type: ignore[assignment]
        {"channels": {"socketio": {"handoff_threshold": 0.5}}}))

    def insulted_on(channel: str | None) -> DialogueStateTracker:
        return tracker(domain, ActionExecuted(ACTION_LISTEN_NAME),
                       said("you are a stupid bot", "insult", -0.8, channel=channel))

    # One insult scores about 0.54: under the general 0.6, over the web chat's 0.5.
    [event] = policy.predict_action_probabilities(insulted_on("telegram"), domain).events
    assert 0.5 <= event.value["score"] < 0.6 and event.value["handoff"] is False
    assert predicted(policy, domain, insulted_on("telegram")) is None
    assert predicted(policy, domain, insulted_on(None)) is None
    assert predicted(policy, domain, insulted_on("socketio")) == "action_handoff"
