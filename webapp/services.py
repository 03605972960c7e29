"""The parts a request handler works with, made once per app and kept under one app key."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.agents.sessions import SessionStore
from router.handoff.queue import HandoffQueue
from router.relay.feed import ConversationFeed
from router.relay.outbox import Outbox
from router.relay.rasa_api import RasaClient
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

    @classmethod
    def connect(cls, settings: WebSettings) -> Services:
        redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
        http = aiohttp.ClientSession()
        return cls(settings, redis, http, HandoffQueue(redis, settings.queue),
                   AgentDirectory(redis), SessionStore(redis, settings.session_ttl_seconds),
                   Outbox(redis), ConversationFeed(redis),
                   RasaClient(http, settings.rasa_url, settings.rasa_token))

    async def close(self) -> None:
        await self.http.close()
        await self.redis.close()


SERVICES = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]
