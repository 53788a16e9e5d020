"""Broker failover on a real cluster: two RabbitMQ nodes (Debian's rabbitmq-server, MQTT
plugin, MQTT 3.1.1) clustered on loopback. A gateway (``sitload run``, a simulated
person) is given both nodes in ``mqtt.urls`` and connects to the first; that node is
killed (SIGKILL of its Erlang VM) mid-run. The gateway carries on through the other
node and every alert it raised reaches a subscriber with a durable session (QoS 1,
its queue on the surviving node; duplicates allowed).

The time to fail over (the gateway's own "back after … s") is printed: run with ``-s``.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from tests.brokers import HOST, Subscriber
from tests.fleet import gateways
from tests.fleet.rabbitmq import GUEST, RabbitCluster

GATEWAY = gateways.GatewaySpec("p07", "pw-p07-rabbit", 7)
HOURS = 0.5
SPEED = 20.0
"""Half an hour of a desk day in 90 s: prompts every simulated minute from about its
15th minute (every 3 s of the test), before and after the failover."""
RECONNECT_FIRST_S = 1.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RabbitCluster]:
    with RabbitCluster(tmp_path / "rabbitmq", {GATEWAY.user: GATEWAY.password}) as c:
        yield c


def _wait_log(path: Path, pattern: str, timeout_s: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        m = re.search(pattern, path.read_text(encoding="utf-8", errors="replace"))
        if m is not None:
            return m
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{pattern!r} not in the gateway's log within {timeout_s} s:\n"
                + path.read_text(errors="replace")[-3000:]
            )
        time.sleep(0.2)


def test_a_gateway_fails_over_to_the_other_node_with_no_alert_lost(
    cluster: RabbitCluster, tmp_path: Path
) -> None:
    started = time.monotonic()
    first, second = cluster.nodes
    user = GATEWAY.user
    cfg = gateways.write_config(
        tmp_path / user,
        GATEWAY,
        mqtt_urls=[f"mqtt://{user}@{HOST}:{first.port}", f"mqtt://{user}@{HOST}:{second.port}"],
        history_url=f"sqlite:///{tmp_path / 'history.db'}",
        hours=HOURS,
        speed=SPEED,
        reconnect_first_s=RECONNECT_FIRST_S,
        reconnect_max_s=8.0,
    )
    log = tmp_path / f"{user}.log"
    # the audit subscriber's durable queue lives on the node that stays up
    audit = Subscriber(
        second.port,
        [f"sitload/{user}/alert"],
        username=GUEST[0],
        password=GUEST[1],
        protocol=MQTTProtocolVersion.MQTTv311,
        client_id="fleet-audit",
        clean_session=False,
    ).start(timeout_s=30)
    proc = gateways.start(cfg, log)
    try:
        _wait_log(log, rf"MQTT connected to {HOST}:{first.port} \(MQTT 3\.1\.1\)", 120)
        audit.wait_for(lambda ms: len(ms) >= 2, 240, "alerts through the first node")
        killed_at = time.time()
        first.stop(kill=True)
        back = _wait_log(log, rf"MQTT link to {HOST}:{second.port} is back after ([\d.]+) s", 60)
        gateways.wait_all({user: proc}, {user: log}, timeout_s=240)
        report = gateways.report(user, log)
        raised = sum(report.alert_kinds.values())
        audit.wait_for(
            lambda ms: len({json.loads(m.payload)["id"] for m in ms}) >= raised, 30, "every alert"
        )
        received = audit.snapshot()
    finally:
        audit.stop()
        if proc.poll() is None:
            proc.kill()

    alerts = {json.loads(m.payload)["id"]: json.loads(m.payload) for m in received}
    after = [m for m in received if m.t_s > killed_at]
    print(
        f"\nrabbitmq failover: the gateway was back on the other node after {back.group(1)} s; "
        f"alerts raised {raised}, received {len(alerts)} unique ({len(received) - len(alerts)} "
        f"QoS 1 duplicates), {len(after)} after the kill, expired {report.expired}; "
        f"wall time {time.monotonic() - started:.0f} s"
    )
    assert raised > 0
    assert (report.published, report.delivered, report.expired) == (raised, raised, 0), report
    assert Counter(a["kind"] for a in alerts.values()) == report.alert_kinds
    assert report.reconnects >= 1
    assert after, "alerts went on through the other node after the kill"
