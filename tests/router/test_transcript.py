"""One reading of Rasa's events: the lines people said, as the policy, the packet and the live
feed all see them."""

from router.transcript import (
    AGENT,
    BOT,
    CUSTOMER,
    assessments_by_line,
    line_from_event,
    lines_from_events,
)

USER = {"event": "user", "text": "where is it", "timestamp": 1.0,
        "parse_data": {"intent": {"name": "order_status", "confidence": 0.8},
                       "sentiment": {"score": -0.2}, "meaning": "AAEC"}}
BOT_LINE = {"event": "bot", "text": "Which order?", "timestamp": 2.0,
            "metadata": {"utter_action": "utter_ask_order_id"}}
AGENT_LINE = {"event": "bot", "text": "Sam here", "timestamp": 3.0,
              "metadata": {"agent_name": "Sam", "agent_id": "sam", "relay_id": "r1"}}


def test_each_kind_of_line() -> None:
    customer = line_from_event(USER)
    assert customer is not None and customer.speaker == CUSTOMER
    assert (customer.intent, customer.confidence, customer.sentiment, customer.meaning) == (
        "order_status", 0.8, -0.2, "AAEC")
    bot = line_from_event(BOT_LINE)
    assert bot is not None and (bot.speaker, bot.response) == (BOT, "utter_ask_order_id")
    agent = line_from_event(AGENT_LINE)
    assert agent is not None and (agent.speaker, agent.agent_name, agent.relay_id) == (
        AGENT, "Sam", "r1")
    assert line_from_event({"event": "slot", "name": "x", "value": 1}) is None


def test_missing_or_odd_fields_give_empty_values_not_errors() -> None:
    line = line_from_event({"event": "user", "text": None,
                            "parse_data": {"intent": {"confidence": True}}})
    assert line is not None and line.text == "" and line.confidence is None
    assert line.intent is None and line.sentiment is None


def test_the_router_reads_only_since_the_latest_fresh_start() -> None:
    events = [USER, BOT_LINE, {"event": "session_started"}, USER,
              {"event": "resume"}, BOT_LINE]
    assert len(lines_from_events(events)) == 4
    assert [line.speaker for line in lines_from_events(events, since_fresh_start=True)] == [BOT]


def test_each_assessment_belongs_to_the_customer_line_before_it() -> None:
    events = [USER, {"event": "slot", "name": "frustration", "value": {"score": 0.1}},
              BOT_LINE, USER, BOT_LINE,
              {"event": "slot", "name": "frustration", "value": {"score": 0.4}}]
    assert assessments_by_line(events) == {0: {"score": 0.1}, 2: {"score": 0.4}}
