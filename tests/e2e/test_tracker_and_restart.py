"""What Rasa keeps: sentiment with every user turn, and conversations that outlive a restart."""

import requests

from router.scoring import meaning
from tests.e2e.conftest import TOKEN, RestCustomer, RunningBot


def test_parse_results_carry_sentiment(bot: RunningBot) -> None:
    reply = requests.post(f"{bot.rasa_url}/model/parse", params={"token": TOKEN},
                          json={"text": "this is useless, I'm furious"}, timeout=10)
    parsed = reply.json()
    assert parsed["sentiment"]["label"] == "negative"
    assert parsed["sentiment"]["score"] < -0.5


def test_every_user_turn_is_stored_with_its_sentiment(fresh_shop: RunningBot) -> None:
    customer = RestCustomer(fresh_shop)
    customer.say("hello")
    customer.say("this is terrible, where is order 482913")
    users = [e for e in fresh_shop.tracker(customer.id)["events"] if e["event"] == "user"]
    assert [u["parse_data"]["sentiment"]["label"] for u in users] == ["neutral", "negative"]


def test_every_user_turn_is_stored_with_its_meaning(fresh_shop: RunningBot) -> None:
    """The router compares lines by meaning: the NLU stores each line's sentence embedding."""
    customer = RestCustomer(fresh_shop)
    customer.say("my parcel still hasn't come")
    customer.say("the package I ordered never arrived")
    customer.say("how much is express shipping")
    users = [e for e in fresh_shop.tracker(customer.id)["events"] if e["event"] == "user"]
    vectors = [meaning.decode(u["parse_data"]["meaning"]) for u in users]
    assert all(v is not None for v in vectors)
    assert meaning.similarity(vectors[0], vectors[1]) > meaning.similarity(vectors[0],
                                                                          vectors[2])


def test_the_model_api_refuses_a_wrong_token(bot: RunningBot) -> None:
    reply = requests.post(f"{bot.rasa_url}/model/parse", params={"token": "wrong"},
                          json={"text": "hi"}, timeout=10)
    assert reply.status_code == 401


def test_a_conversation_survives_a_rasa_restart(fresh_shop: RunningBot) -> None:
    customer = RestCustomer(fresh_shop)
    assert any("Order 551204" in line for line in customer.say("status of order 551204"))
    customer.say("I want to return it")  # the bot asks: this order again?

    fresh_shop.restart_rasa()

    slots = fresh_shop.tracker(customer.id)["slots"]
    assert slots["order_id"] is None or slots["remembered_order_id"] == "551204"
    assert slots["remembered_order_id"] == "551204"
    assert slots["requested_slot"] == "order_id"
    reply = "\n".join(customer.say("yes"))
    assert "email address you used for order 551204" in reply
    reply = "\n".join(customer.say("priya.s@example.com"))
    assert "reason for the return" in reply
    reply = "\n".join(customer.say("it's too big"))
    assert "Your return R-551204-" in reply
