"""The MQTT sink's outbox (pure): bound, window, expiry, order after a dropped connection."""

from __future__ import annotations

from analytics.alert_records import Alert, AlertKind
from collector.sinks.mqtt.outbox import Outbox


def alert(n: int) -> Alert:
    return Alert(id=f"prompt-{n}", kind=AlertKind.PROMPT, t_s=float(n), message="stand up")


def ids(box: Outbox, now_s: float = 0.0, ttl_s: float = 100.0) -> list[str]:
    """Take what :meth:`Outbox.next` gives, marking each in flight as its id number."""
    out = []
    while True:
        entry, _ = box.next(now_s, ttl_s)
        if entry is None:
            return out
        box.sent(entry, int(entry.alert.id.split("-")[1]))
        out.append(entry.alert.id)


def test_a_full_outbox_pushes_out_the_oldest_waiting_alerts() -> None:
    box = Outbox(max_alerts=3, window=100)
    assert [box.add(alert(n), 0.0) for n in range(5)] == [0, 0, 0, 1, 1]
    assert box.pending() == 3
    assert ids(box) == ["prompt-2", "prompt-3", "prompt-4"]


def test_alerts_in_flight_are_never_pushed_out() -> None:
    box = Outbox(max_alerts=2, window=2)
    box.add(alert(0), 0.0)
    box.add(alert(1), 0.0)
    assert ids(box) == ["prompt-0", "prompt-1"]
    assert box.add(alert(2), 0.0) == 1  # the new one is the only one waiting
    assert box.pending() == 2
    assert box.acknowledged(0) is not None
    assert box.acknowledged(0) is None  # once
    assert box.pending() == 1


def test_the_window_bounds_alerts_in_flight() -> None:
    box = Outbox(max_alerts=10, window=3)
    for n in range(5):
        box.add(alert(n), 0.0)
    assert ids(box) == ["prompt-0", "prompt-1", "prompt-2"]
    assert box.waiting() == 2
    box.acknowledged(1)
    assert ids(box) == ["prompt-3"]


def test_old_alerts_expire_on_their_turn() -> None:
    box = Outbox(max_alerts=10, window=10)
    box.add(alert(0), 0.0)
    box.add(alert(1), 0.0)
    box.add(alert(2), 50.0)
    entry, expired = box.next(now_s=60.0, ttl_s=30.0)
    assert entry is not None
    assert (entry.alert.id, expired) == ("prompt-2", 2)
    assert box.next(now_s=60.0, ttl_s=30.0) == (None, 0)


def test_a_dropped_connection_puts_its_alerts_back_first_in_order() -> None:
    box = Outbox(max_alerts=10, window=10)
    for n in range(5):
        box.add(alert(n), 0.0)
    entries = [box.next(0.0, 100.0)[0] for _ in range(3)]
    for mid, entry in zip((7, 3, 5), entries, strict=True):
        assert entry is not None
        box.sent(entry, mid)  # message ids are not in the alerts' order
    box.requeue()
    assert box.waiting() == 5
    assert ids(box) == [f"prompt-{n}" for n in range(5)]


def test_an_alert_paho_did_not_take_is_first_again() -> None:
    box = Outbox(max_alerts=10, window=10)
    box.add(alert(0), 0.0)
    box.add(alert(1), 0.0)
    entry, _ = box.next(0.0, 100.0)
    assert entry is not None
    box.retry(entry)
    assert ids(box) == ["prompt-0", "prompt-1"]
