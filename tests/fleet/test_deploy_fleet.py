"""deploy/fleet/: the gateway config loads as it is written (its password file moved to
a temporary folder), and the Mosquitto ACL the fleet test uses is the one shipped."""

from __future__ import annotations

from pathlib import Path

from collector.config import load_settings

FLEET = Path(__file__).resolve().parents[2] / "deploy" / "fleet"


def test_the_gateway_config_names_a_cluster(tmp_path: Path) -> None:
    password = tmp_path / "mqtt-password"
    password.write_text("s3cret\n", encoding="utf-8")
    text = (FLEET / "sitload.toml").read_text(encoding="utf-8")
    assert '"/etc/sitload/mqtt-password"' in text
    cfg = tmp_path / "sitload.toml"
    cfg.write_text(text.replace("/etc/sitload/mqtt-password", str(password)), encoding="utf-8")
    s = load_settings(cfg, environ={"SITLOAD_INFLUX_TOKEN": "t"})
    m = s.mqtt
    assert m is not None
    assert (m.host, m.port, m.tls, m.username, m.password) == (
        "rabbit-1.clinic.lan",
        8883,
        True,
        "p17",
        "s3cret",
    )
    assert m.failover == (("rabbit-2.clinic.lan", 8883), ("rabbit-3.clinic.lan", 8883))
    assert (m.protocol, m.discovery, m.user_id) == ("3.1.1", False, "p17")
    assert s.history_url.startswith("influxdb://influx.clinic.lan:8181?")


def test_the_acl_gives_each_gateway_its_own_topics_only() -> None:
    lines = [
        line.strip()
        for line in (FLEET / "mosquitto" / "acl").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    patterns = [line for line in lines if line.startswith("pattern")]
    assert patterns == ["pattern readwrite sitload/%u/#"]
    assert "topic readwrite sitload/#" not in lines
