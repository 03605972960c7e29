"""The frozen test split of the blind-written conversations (evaluation/conversations/test.yml)
through the real bot: real NLU, sentiment, replies and router, over Rasa's REST channel.
Only the totals are printed (with -s), never which conversation did what: the split is for
reporting, not for tuning. The floors guard the figures measured when the router was built."""

from router.eval.corpus import load_split
from router.eval.through_bot import BotEndpoint, replay_all, report
from tests.e2e.conftest import TOKEN, RunningBot

# Measured on the test split when the router was built (README: precision 1.0, recall 0.927,
# 92.1% within one turn); a clear drop below these is a regression.
MIN_PRECISION = 0.9
MIN_RECALL = 0.85
MIN_WITHIN_ONE_TURN = 0.75


def test_the_frozen_test_split_through_the_real_bot(fresh_shop: RunningBot) -> None:
    conversations = load_split("test")
    replays = replay_all(BotEndpoint(fresh_shop.rasa_url, TOKEN), fresh_shop.shop_db,
                         conversations)
    figures = report(conversations, {r.name: r for r in replays})
    print(f"\ntest split through the real bot: {figures['conversations']} conversations, "
          f"handoff precision {figures['precision']}, recall {figures['recall']}, "
          f"within one turn {figures['within_one_turn']}")
    assert figures["precision"] >= MIN_PRECISION
    assert figures["recall"] >= MIN_RECALL
    assert (figures["within_one_turn"] or 0) >= MIN_WITHIN_ONE_TURN
