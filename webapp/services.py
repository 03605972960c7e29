"""The parts a request handler works with, made once per app and kept under one app key."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.agents.sessions import SessionStore
from router.customer_limits import CustomerLimits
from router.handoff.queue import HandoffQueue
from router.history import History
from router.relay.feed import ConversationFeed
from router.relay.outbox import Outbox
from router.relay.rasa_api import RasaClient
from router.tickets import TicketStore
from webapp.settings import WebSettings


@dataclass
class Services:
    settings: WebSettings
    redis: aioredis.Redis
    http: aiohttp.ClientSession
    queue: HandoffQueue
    directory: AgentDirectory
    sessions: SessionStore
    outbox: Outbox
    feed: ConversationFeed
    rasa: RasaClient
    tickets: TicketStore
    history: History

    @classmethod
    def connect(cls, settings: WebSettings) -> Services:
        redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
        http = aiohttp.ClientSession()
        tickets = TicketStore(redis, CustomerLimits.from_env().max_message_chars)
        return cls(settings, redis, http, HandoffQueue(redis, settings.queue),
                   AgentDirectory(redis), SessionStore(redis, settings.session_ttl_seconds),
                   Outbox(redis), ConversationFeed(redis),
                   RasaClient(http, settings.rasa_url, settings.rasa_token),
                   tickets, History(redis, tickets))

    async def close(self) -> None:
        await self.http.close()
        await self.redis.close()


SERVICES = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]
