"""Fixtures of the report tests (test_report*.py): three simulated weeks
(tests/review_store.py) read from a store, their review, the report's metadata and
the HTML page; each made once per test module that asks for it. And of the MQTT sink
tests (test_mqtt_*.py): a real Mosquitto per test and a TcpGate in front of it (a
module may define its own ``broker``). The imports are in the fixtures, so the other
tests of this folder do not pay for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

if TYPE_CHECKING:
    from analytics.review_records import Review
    from collector.review.load import ReviewInputs
    from collector.review.meta import ReportMeta
    from tests.brokers import Mosquitto
    from tests.review_store import SimHistory
    from tests.tcp_gate import TcpGate


@pytest.fixture(scope="module")
def history() -> SimHistory:
    from tests.review_store import simulate_history

    return simulate_history()  # 21 days from Monday 2026-03-02, Europe/London


@pytest.fixture(scope="module")
def inputs(history: SimHistory) -> ReviewInputs:
    from collector.review.load import load_inputs
    from tests.review_store import filled_store

    store = filled_store(history)
    return load_inputs(
        store, history.user, history.first_day, history.last_day, ZoneInfo(history.tz)
    )


@pytest.fixture(scope="module")
def rev(history: SimHistory, inputs: ReviewInputs) -> Review:
    from collector.review.building import build_review

    return build_review(inputs, tz_name=history.tz, baseline=None)


@pytest.fixture(scope="module")
def meta(history: SimHistory) -> ReportMeta:
    from collector.review.meta import ReportMeta

    return ReportMeta(
        history.user,
        dt.datetime(2026, 3, 23, 9, 30, tzinfo=ZoneInfo(history.tz)),
        "9.9.9",
        "memory",
    )


@pytest.fixture(scope="module")
def page(rev: Review, meta: ReportMeta) -> str:
    from collector.review.html import render_html  # matplotlib: only when asked

    return render_html(rev, meta)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    from tests.brokers import mosquitto

    with mosquitto(tmp_path / "mosquitto") as b:
        yield b


@pytest.fixture
def gate(broker: Mosquitto) -> Iterator[TcpGate]:
    from tests.tcp_gate import TcpGate

    g = TcpGate(broker.port)
    try:
        yield g
    finally:
        g.shutdown()
