"""Scripted multi-turn conversations through the real bot, on the REST and socket.io channels."""

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

CONVERSATIONS: List[Dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "conversations.yml").read_text()
)


@pytest.mark.parametrize("script", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(customer: Any, script: Dict[str, Any]) -> None:
    for number, turn in enumerate(script["turns"], start=1):
        reply = "\n".join(customer.say(str(turn["user"])))
        for expected in turn["bot"]:
            assert expected in reply, (
                f"turn {number} ({customer.channel}): said {turn['user']!r}, "
                f"expected {expected!r} in:\n{reply or '(silence)'}"
            )


def test_there_are_enough_scripted_conversations() -> None:
    assert len(CONVERSATIONS) >= 10
    assert all(len(c["turns"]) >= 1 for c in CONVERSATIONS)
