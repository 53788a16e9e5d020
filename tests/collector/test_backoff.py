"""Reconnection delays with full jitter (collector/sinks/backoff.py) and their two
users: the MQTT link (to a port nobody listens on) and the history writer's store link
(a store that is always unavailable, on a fake clock)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import pytest

from collector.sinks.backoff import Backoff
from collector.sinks.history.model import HistoryRecord, PainReport, StoreUnavailableError
from collector.sinks.history.store_link import StoreLink
from collector.sinks.mqtt.link import MqttLink
from collector.sinks.mqtt_payloads import Topics
from collector.sinks.settings import MqttSettings
from tests.server_process import HOST, free_port


def test_the_cap_doubles_up_to_the_maximum() -> None:
    b = Backoff(1.0, 8.0)
    assert [b.cap_s(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert b.cap_s(10_000) == 8.0  # no overflow
    assert b.cap_s(-1) == 1.0


def test_delays_are_spread_over_the_whole_cap() -> None:
    """Full jitter: uniform on [0, cap], so a fleet that lost its server at the same
    moment comes back spread out, not in one burst."""
    b = Backoff(2.0, 2.0)
    rng = random.Random(7)
    delays = [b.delay_s(0, rng) for _ in range(4000)]
    assert min(delays) >= 0.0
    assert max(delays) <= 2.0
    # each quarter of [0, 2] holds about a quarter of the draws
    quarters = [sum(q * 0.5 <= d < (q + 1) * 0.5 for d in delays) for q in range(4)]
    assert all(850 < n < 1150 for n in quarters), quarters
    # the share of a fleet that tries again within any one second is at most 1 s / cap
    assert sum(d < 1.0 for d in delays) / len(delays) == pytest.approx(0.5, abs=0.04)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="first_s must be > 0"):
        Backoff(0.0, 1.0)
    with pytest.raises(ValueError, match="at least first_s"):
        Backoff(2.0, 1.0)


class _Events:
    """The sink's side of the link, doing nothing."""

    def link_up(self, client: object) -> tuple[int, int, int]:
        return 0, 0, 0

    def link_down(self) -> None:
        pass

    def queued(self) -> int:
        return 0

    def on_publish(self, *args: object) -> None:
        pass

    def on_message(self, *args: object) -> None:
        pass


def _link_delays(seed: int) -> list[float]:
    s = MqttSettings(
        host=HOST,
        port=free_port(),  # nobody listens: every attempt fails at once
        user_id="alice",
        reconnect_first_s=0.02,
        reconnect_max_s=0.08,
        discovery=False,
    )

    async def run() -> list[float]:
        link = MqttLink(s, Topics.of(s.prefix, s.user_id), _Events(), rng=random.Random(seed))
        link.start()
        while len(link.delays_s) < 8:
            await asyncio.sleep(0.01)
        await link.close()
        return link.delays_s[:8]

    return asyncio.run(run())


def test_the_mqtt_link_waits_jittered_delays() -> None:
    first, second = _link_delays(1), _link_delays(2)
    caps = [0.02, 0.04, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08]
    for delays in (first, second):
        assert all(0.0 <= d <= cap for d, cap in zip(delays, caps, strict=True)), delays
    # two gateways that failed together do not try again together
    assert first != second
    assert len(set(first)) == len(first)


class _Down:
    name = "down"

    def write(self, records: Sequence[HistoryRecord]) -> None:
        raise StoreUnavailableError("connection refused")


def test_the_history_store_link_waits_jittered_delays() -> None:
    now = [0.0]

    def delays(seed: int) -> list[float]:
        link = StoreLink(
            _Down(),  # type: ignore[arg-type]
            retry_first_s=1.0,
            retry_max_s=8.0,
            clock=lambda: now[0],
            changed=lambda: None,
            rng=random.Random(seed),
        )
        out = []
        for _ in range(6):
            assert link.attempt([PainReport("alice", 0.0, 1)]) is None
            out.append(link.retry_at - now[0])
        return out

    first, second = delays(1), delays(2)
    caps = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    for got in (first, second):
        assert all(0.0 <= d <= cap for d, cap in zip(got, caps, strict=True)), got
    assert first != second
