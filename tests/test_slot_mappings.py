"""The free-text questions of the forms take any answer except "never mind" and a request for
a person: those leave the form or bring a person in (before, "forget it" became the new
address, and the bot kept saying "That address looks incomplete")."""

from typing import Dict, List

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stack.settings import PROJECT_ROOT

FREE_TEXT_QUESTIONS = {"return_form": "return_reason", "change_address_form": "new_address",
                       "ticket_form": "ticket_message"}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


async def extracted(domain: Domain, form: str, text: str, intent: str) -> Dict[str, object]:
    """The slots Rasa fills from `text` while `form` asks its free-text question."""
    events = [ActionExecuted("action_listen"), ActiveLoop(form),
              SlotSet("requested_slot", FREE_TEXT_QUESTIONS[form]),
              ActionExecuted("action_listen"),
              UserUttered(text, {"name": intent, "confidence": 0.9})]
    tracker = DialogueStateTracker.from_events("test", events, slots=domain.slots)
    found: List = await ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
        tracker, domain)
    return {event.key: event.value for event in found if isinstance(event, SlotSet)}


@pytest.mark.parametrize("form", sorted(FREE_TEXT_QUESTIONS))
@pytest.mark.parametrize(("text", "intent"), [("forget it", "nevermind"),
                                              ("just get me a person", "request_human")])
async def test_leaving_is_not_an_answer(domain: Domain, form: str, text: str,
                                        intent: str) -> None:
    assert FREE_TEXT_QUESTIONS[form] not in await extracted(domain, form, text, intent)


@pytest.mark.parametrize("form", sorted(FREE_TEXT_QUESTIONS))
@pytest.mark.parametrize(("text", "intent"), [("22 Oak Street, 97205 Portland", "inform"),
                                              ("it arrived broken", "item_damaged"),
                                              ("wrong colour", "wrong_item")])
async def test_anything_else_is_the_answer(domain: Domain, form: str, text: str,
                                           intent: str) -> None:
    assert (await extracted(domain, form, text, intent))[FREE_TEXT_QUESTIONS[form]] == text
