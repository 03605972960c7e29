"""Agents' labels on the handoffs they received: was bringing in a person right?

Right after resolving or handing back a conversation (or later, from the case in History), the
agent who had it says in one click whether the handoff was `needed`, came `too_early` (the bot
could have handled it) or `too_late`. The label goes on the case (router/history.py) with who
set it and when; changing it is allowed and the last one counts. A sorted set of labelled case
numbers lets router/learning.py read them all without scanning the history.

The rules (which labels exist, who may label) are pure; `HandoffLabels` is the small store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from redis import asyncio as aioredis

from router import keys
from router.redis_values import text

NEEDED, TOO_EARLY, TOO_LATE = "needed", "too_early", "too_late"
LABELS = (NEEDED, TOO_EARLY, TOO_LATE)
# Cases read a round trip when reading labels in bulk: thousands of single reads would each
# wait on the network, one pipeline of thousands of packets would hold a large reply at once.
READ_BATCH = 500
# Each label as the console says it.
LABEL_WORDS: Mapping[str, str] = {
    NEEDED: "needed",
    TOO_EARLY: "too early: the bot could have handled it",
    TOO_LATE: "too late",
}


class UnknownLabel(ValueError):
    """Not one of LABELS; the message lists them."""


class CaseNotFound(LookupError):
    """No such case (never made, or expired with the history)."""


def checked_label(value: object) -> str:
    """`value` if it is a label; otherwise UnknownLabel naming the allowed ones."""
    if isinstance(value, str) and value in LABELS:
        return value
    allowed = ", ".join(f"'{label}' ({LABEL_WORDS[label]})" for label in LABELS)
    raise UnknownLabel(f"'label' must be one of {allowed}; got {str(value)[:40]!r}.")


def may_label(case: Mapping[str, str], agent_id: str, is_admin: bool) -> bool:
    """The agent who had the case may label it, and any admin (e.g. for a customer who waited
    too long and became a ticket: nobody had it)."""
    return is_admin or (bool(agent_id) and case.get("agent_id") == agent_id)


@dataclass(frozen=True)
class Label:
    case_id: str
    label: str
    labelled_by: str
    labelled_at: float

    def public(self) -> Dict[str, object]:
        return {"case_id": self.case_id, "label": self.label,
                "label_words": LABEL_WORDS[self.label], "labelled_by": self.labelled_by,
                "labelled_at": self.labelled_at}


def label_of(case: Mapping[str, str]) -> Optional[Label]:
    """The label stored on a case, if it has a valid one."""
    label = case.get("label")
    if label not in LABELS:
        return None
    return Label(case.get("case_id", ""), str(label), case.get("labelled_by", ""),
                 float(case.get("labelled_at") or 0.0))


class HandoffLabels:
    """Labels on cases in Redis (either kind of client)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def set(self, case_id: str, label: str, by: str, at: float) -> Label:
        """Label the case (replacing an earlier label); CaseNotFound if it is not there. The
        case and the index change together, and never for a case that expired meanwhile."""
        label = checked_label(label)
        case_key = keys.history_case(case_id)
        async with self.redis.pipeline(transaction=True) as tx:
            await tx.watch(case_key)
            if not await tx.exists(case_key):
                raise CaseNotFound(case_id)
            tx.multi()
            tx.hset(case_key, mapping={"label": label, "labelled_by": by,
                                       "labelled_at": repr(at)})
            tx.zadd(keys.HISTORY_LABELLED, {case_id: at})
            await tx.execute()
        return Label(case_id, label, by, at)

    async def labelled_cases(self, limit: int, fields: Sequence[str] = ()
                             ) -> List[Dict[str, str]]:
        """The `limit` most recently labelled cases, newest first: of each, its `case_id`,
        `label` and the `fields` asked for (a missing one is left out). Numbers whose case has
        expired are dropped from the index as they are met."""
        case_ids = [text(c) for c in await self.redis.zrevrange(keys.HISTORY_LABELLED, 0,
                                                                 limit - 1)]
        names = list(dict.fromkeys(("label", *fields)))
        cases, expired = [], []
        for case_id, values in zip(case_ids, await self._read(case_ids, names), strict=True):
            case = {name: text(value) for name, value in zip(names, values, strict=True)
                    if value is not None}
            case["case_id"] = case_id
            if case.get("label") in LABELS:
                cases.append(case)
            else:
                expired.append(case_id)
        if expired:
            await self.redis.zrem(keys.HISTORY_LABELLED, *expired)
        return cases

    async def _read(self, case_ids: Sequence[str], names: Sequence[str]) -> List[List[Any]]:
        """The named fields of each case, READ_BATCH cases a round trip."""
        values: List[List[Any]] = []
        for start in range(0, len(case_ids), READ_BATCH):
            async with self.redis.pipeline(transaction=False) as pipe:
                for case_id in case_ids[start:start + READ_BATCH]:
                    pipe.hmget(keys.history_case(case_id), names)
                values.extend(await pipe.execute())
        return values
