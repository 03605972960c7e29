"""`/metrics` in Prometheus's text format: the one place every process's counts are exported
from (they are counted in Redis where they happen: router/metrics.py), with the queue and the
relay read live at each scrape.

Who may read it: a scraper on this machine (loopback, not through a proxy), or one sending
`Authorization: Bearer <METRICS_TOKEN>`. The numbers tell how busy and how broken the service
is, which is nobody else's business.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from dataclasses import dataclass
from typing import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric as MetricFamily
from prometheus_client.registry import Collector

from router import keys, metrics
from router.relay.outbox import relay_lag_seconds
from webapp.services import SERVICES, Services, services

# Headers a proxy adds: a request that carries one came through a proxy, so its loopback
# address is the proxy's and says nothing about who is asking.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


@dataclass(frozen=True)
class Reading:
    """Everything /metrics shows, read from Redis at one scrape."""

    counters: metrics.CounterValues
    queue_length: int
    oldest_wait_seconds: float
    relay_lag_seconds: float


async def read_now(svc: Services) -> Reading:
    waiting = await svc.queue.waiting()
    now = time.time()
    return Reading(
        counters=metrics.read_counters(await svc.redis.hgetall(keys.METRIC_COUNTERS)),
        queue_length=len(waiting),
        oldest_wait_seconds=max((now - entry.waiting_since for entry in waiting),
                                default=0.0),
        relay_lag_seconds=await relay_lag_seconds(svc.redis))


class ReadingCollector(Collector):
    """prometheus_client's view of one reading. The reading is taken before (Redis is read
    asynchronously; `collect` is synchronous), so collecting never waits."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def collect(self) -> Iterator[MetricFamily]:
        for metric in metrics.COUNTERS:
            yield self._counter(metric)
        yield _gauge(metrics.QUEUE_LENGTH, self.reading.queue_length)
        yield _gauge(metrics.QUEUE_OLDEST_WAIT, max(self.reading.oldest_wait_seconds, 0.0))
        yield _gauge(metrics.RELAY_LAG, self.reading.relay_lag_seconds)

    def _counter(self, metric: metrics.Metric) -> CounterMetricFamily:
        family = CounterMetricFamily(metric.name, metric.help, labels=metric.labels)
        counted = self.reading.counters.get(metric.name, {})
        if not metric.labels and not counted:
            counted = {(): 0}  # a counter without labels is 0 until its first event
        for label_values, value in sorted(counted.items()):
            family.add_metric(list(label_values), value)
        return family


def _gauge(metric: metrics.Metric, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(metric.name, metric.help, value=value)


def exposition(reading: Reading) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReadingCollector(reading))
    return generate_latest(registry)


# --- Who may read it ---------------------------------------------------------------------
def is_local(request: web.Request) -> bool:
    """A client on this machine that did not come through a proxy."""
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return request.remote is not None and ipaddress.ip_address(request.remote).is_loopback
    except ValueError:  # a Unix socket's peer, or nothing an address can be read from
        return False


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""


def check_may_read(request: web.Request, token: str) -> None:
    if is_local(request):
        return
    if not token:
        raise web.HTTPForbidden(text="Metrics are served only to this machine: scrape from "
                                     "localhost, or set METRICS_TOKEN on the web service and "
                                     "send it as 'Authorization: Bearer <token>'.")
    if not hmac.compare_digest(_bearer(request).encode(), token.encode()):
        raise web.HTTPUnauthorized(text="Send the web service's METRICS_TOKEN as "
                                        "'Authorization: Bearer <token>' to read the metrics "
                                        "from another machine.")


async def metrics_page(request: web.Request) -> web.Response:
    check_may_read(request, services(request).settings.metrics_token)
    body = exposition(await read_now(services(request)))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def count_server_error(request: web.Request) -> None:
    """Counts a 500 (the error boundary calls this); never raises, never waits."""
    svc = request.app.get(SERVICES)
    if svc is not None:
        metrics.count_soon(svc.redis, metrics.WEB_ERRORS)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_page)
