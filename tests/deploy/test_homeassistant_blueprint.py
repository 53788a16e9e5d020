"""deploy/homeassistant: the phone blueprint is a well-formed automation blueprint,
and what it publishes when the person taps Snooze or Done makes a running
``sitload run`` snooze and acknowledge — through a real Mosquitto, as Home
Assistant's broker user (read ``sitload/#``, write ``sitload/+/command`` only).

There is no Home Assistant here: a tap is a ``mobile_app_notification_action``
event whose only effect, in the blueprint, is an ``mqtt.publish``; the test
renders that publish's topic and payload from the blueprint itself (its templates
are plain ``{{ name }}`` / ``{{ name | int }}`` substitutions, checked) and sends it."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from analytics.alert_records import AlertKind
from tests.brokers import HOME_ASSISTANT, Mosquitto, Subscriber
from tests.collector.run_service_harness import (
    BASE,
    SHORT,
    SHORT_ALERTS,
    USER,
    alice_and_bob_broker,
    finish,
    recording_file,
    start_run,
    write_config,
)

BLUEPRINT = (
    Path(__file__).resolve().parents[2] / "deploy" / "homeassistant" / "sitload_phone_prompt.yaml"
)
TAP = "mobile_app_notification_action"


@dataclass(frozen=True)
class Input:
    name: str


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor(
    "!input",
    lambda loader, node: Input(str(loader.construct_scalar(node))),  # type: ignore[arg-type]
)


def blueprint() -> dict[str, Any]:
    loaded = yaml.load(BLUEPRINT.read_text(encoding="utf-8"), Loader=_Loader)
    assert isinstance(loaded, dict)
    return loaded


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


_SIMPLE = re.compile(r"\{\{\s*([a-z_]+)\s*(\|\s*int\s*)?\}\}")


def render(template: str, variables: dict[str, Any]) -> str:
    """Home Assistant's rendering of a template made only of ``{{ name }}`` and
    ``{{ name | int }}`` (anything else fails the test: it would need Jinja)."""

    def one(match: re.Match[str]) -> str:
        value = variables[match.group(1)]
        return str(int(value)) if match.group(2) else str(value)

    out = _SIMPLE.sub(one, template)
    assert "{{" not in out, f"not a plain substitution: {template!r}"
    assert "{%" not in out, f"not a plain substitution: {template!r}"
    return out


def variables_for(bp: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The automation's variables that are plain substitutions, in order."""
    declared = bp["blueprint"]["input"]
    values = {name: inputs.get(name, spec.get("default")) for name, spec in declared.items()}
    out: dict[str, Any] = {}
    for name, value in bp["variables"].items():
        if isinstance(value, Input):
            out[name] = values[value.name]
        elif isinstance(value, str) and _SIMPLE.sub("", value).count("{{") == 0:
            out[name] = render(value, out)
    return out


def publish_on_tap(bp: dict[str, Any], action_variable: str) -> dict[str, Any]:
    """The ``mqtt.publish`` data of the branch run when the tapped action is the one
    in ``action_variable``."""
    (after_wait,) = [
        step
        for step in bp["actions"]
        if "choose" in step and "wait.trigger.event.data.action" in str(step["choose"])
    ]
    for branch in after_wait["choose"]:
        (condition,) = branch["conditions"]
        if condition["value_template"] == (
            "{{ wait.trigger.event.data.action == " + action_variable + " }}"
        ):
            (publish,) = branch["sequence"]
            assert publish["action"] == "mqtt.publish"
            return dict(publish["data"])
    raise AssertionError(f"no branch for {action_variable}")


def alert_kinds_in(template: str) -> set[str]:
    return set(re.findall(r"'([a-z_]+)'", template))


# --- structure ------------------------------------------------------------------------


def test_it_is_an_automation_blueprint_with_its_inputs() -> None:
    bp = blueprint()
    meta = bp["blueprint"]
    assert meta["domain"] == "automation"
    assert meta["name"].startswith("sitload")
    assert "source_url" not in meta  # no public address of the project is known
    inputs = meta["input"]
    assert set(inputs) == {
        "user_id",
        "phone",
        "snooze_minutes",
        "answer_within",
        "topic_prefix",
        "skip_late",
    }
    for name, spec in inputs.items():
        assert spec["name"], name
        assert spec["description"], name
        assert len(spec["selector"]) == 1, name
    assert inputs["phone"]["selector"]["device"]["filter"] == [{"integration": "mobile_app"}]
    assert inputs["topic_prefix"]["default"] == "sitload"
    number = inputs["snooze_minutes"]["selector"]["number"]
    assert number["min"] <= inputs["snooze_minutes"]["default"] <= number["max"] <= 60
    used = {node.name for node in _walk(bp) if isinstance(node, Input)}
    assert used == set(inputs), "every input is used, and only declared inputs"
    assert bp["mode"] == "restart"  # a newer alert replaces the wait for a tap


def test_it_listens_to_the_alert_topic_and_answers_on_the_command_topic() -> None:
    bp = blueprint()
    (trigger,) = bp["triggers"]
    assert trigger["trigger"] == "mqtt"
    trigger_vars = {k: v.name for k, v in bp["trigger_variables"].items()}
    assert trigger_vars == {"user_id": "user_id", "topic_prefix": "topic_prefix"}
    values = variables_for(bp, {"user_id": "p17"})
    assert render(trigger["topic"], values) == "sitload/p17/alert"
    assert values["command_topic"] == "sitload/p17/command"
    waits = [step["wait_for_trigger"] for step in bp["actions"] if "wait_for_trigger" in step]
    (wait,) = waits
    assert [(w["trigger"], w["event_type"]) for w in wait] == [("event", TAP), ("event", TAP)]
    assert [w["event_data"]["action"] for w in wait] == [
        "{{ action_snooze }}",
        "{{ action_done }}",
    ]
    notify = [s for s in bp["actions"] if s.get("type") == "notify" and "title" in s]
    (prompt,) = notify
    assert prompt["domain"] == "mobile_app"
    assert [a["action"] for a in prompt["data"]["actions"]] == [
        "{{ action_snooze }}",
        "{{ action_done }}",
    ]
    for action in ("action_snooze", "action_done"):
        data = publish_on_tap(bp, action)
        assert data["topic"] == "{{ command_topic }}"
        assert (data["qos"], data["retain"]) == (1, False)  # sitload ignores retained commands


def test_the_alert_kinds_it_reacts_to_exist() -> None:
    bp = blueprint()
    (condition,) = bp["conditions"]
    kinds = alert_kinds_in(condition["value_template"])
    assert kinds <= {k.value for k in AlertKind}
    assert {"prompt", "escalation", "repeat", "posture", "saddle"} <= kinds
    (clear,) = [s for s in bp["actions"] if "choose" in s and "clear_notification" in str(s)]
    answered = alert_kinds_in(clear["choose"][0]["conditions"][0]["value_template"])
    assert answered == {"break_started", "acknowledged", "snoozed"}


# --- against sitload run ----------------------------------------------------------------


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    yield from alice_and_bob_broker(tmp_path)


def _is(kinds: set[str], after: int = 0) -> Any:
    def found(messages: list[Any]) -> bool:
        alerts = [m.json() for m in messages if m.topic == f"{BASE}/alert"]
        return any(a["kind"] in kinds for a in alerts[after:])

    return found


def test_snooze_and_done_taps_snooze_and_acknowledge_a_running_sitload(
    broker: Mosquitto, tmp_path: Path
) -> None:
    bp = blueprint()
    values = variables_for(bp, {"user_id": USER, "snooze_minutes": 3})
    (trigger,) = bp["triggers"]
    alert_topic = render(trigger["topic"], values)
    assert alert_topic == f"{BASE}/alert"
    (condition,) = bp["conditions"]
    prompts = alert_kinds_in(condition["value_template"]) & {
        "prompt",
        "escalation",
        "repeat",
        "posture",
    }
    snooze = publish_on_tap(bp, "action_snooze")
    done = publish_on_tap(bp, "action_done")

    def tap(ha: Subscriber, data: dict[str, Any]) -> None:
        info = ha.client.publish(
            render(data["topic"], values),
            render(data["payload"], values),
            qos=data["qos"],
            retain=data["retain"],
        )
        info.wait_for_publish(5)

    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=20, alerts=SHORT_ALERTS)
    user, password = broker.credentials(HOME_ASSISTANT)
    topics = [alert_topic, f"{BASE}/command/reply"]
    with Subscriber(broker.port, topics, username=user, password=password) as ha:
        proc = start_run(cfg, tmp_path)
        try:
            ha.wait_for(_is(prompts), 60, "a prompt the blueprint sends to the phone")
            tap(ha, snooze)  # the person taps "Snooze 3 min"
            ha.wait_for(_is({"snoozed"}), 20, "sitload snoozed")
            seen = len(ha.on(alert_topic))
            ha.wait_for(_is(prompts, seen), 60, "the next prompt, after the snooze")
            tap(ha, done)  # the person taps "Done"
            ha.wait_for(_is({"acknowledged"}), 20, "sitload acknowledged")
            replies = [m.json() for m in ha.wait_topic(f"{BASE}/command/reply", 2, 20)]
        finally:
            proc.send_signal(signal.SIGTERM)
        finish(proc, tmp_path)
    assert [(r["command"], r["ok"]) for r in replies] == [("snooze 3", True), ("ack", True)]
    assert replies[0]["results"][0]["kind"] == "snoozed"
    assert replies[1]["results"][0]["kind"] == "acknowledged"
