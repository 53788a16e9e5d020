"""Topics and payloads of the MQTT alert sink (pure: no client, no clock, no I/O).

The schema is described in ``docs/mqtt.md``. Every JSON payload carries
``"schema": SCHEMA``; times are ISO-8601 UTC strings (``…Z``) next to the Unix
seconds (``t_s``) they come from.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from analytics.alert_records import Alert, AlertKind
from collector.json_encoding import dumps
from collector.sinks.base import LiveStatus

SCHEMA = 1
"""Version of the payload schema (bumped on incompatible changes)."""

MAX_COMMAND_BYTES = 1024
"""Longer command payloads are refused without being read."""

ONLINE = "online"
OFFLINE = "offline"

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
"""User ids and every id derived from them (topics, Home Assistant ids)."""

COMMAND_MINUTES_MAX = 24 * 60
"""A ``minutes`` above this (a day) is refused by the sink; the service's own
``snooze_max_min`` (60 by default) applies below it."""

PAIN_GRAMMAR = (
    "send UTF-8 text 'SCORE [morning|evening|now] [note]' (SCORE a whole number 0-10; "
    "'pain SCORE …' also accepted) or JSON "
    '{"score": 3, "when": "morning", "note": "…"}, '
    f"at most {MAX_COMMAND_BYTES} bytes"
)

COMMAND_GRAMMAR = (
    "send UTF-8 text 'snooze [minutes]', 'ack' or 'calibrate', or JSON "
    '{"command": "snooze", "minutes": 15} / {"command": "ack"}, '
    f"at most {MAX_COMMAND_BYTES} bytes"
)


# --- topics ----------------------------------------------------------------------------


def validate_user_id(user_id: str, *, key: str = "user_id") -> str:
    """``user_id`` unchanged if it is a valid topic level and id; ValueError otherwise."""
    if not isinstance(user_id, str) or not ID_PATTERN.match(user_id):
        raise ValueError(
            f"mqtt {key} {user_id!r} is not valid: use only letters, digits, '_' and '-' "
            "(it appears in topics and Home Assistant ids; use a pseudonym, never a name)"
        )
    return user_id


def validate_topic_prefix(prefix: str, *, key: str = "prefix") -> str:
    """``prefix`` unchanged if it can start a topic name; ValueError otherwise.

    It may have several levels (``clinic/sitload``) but no wildcards, no empty
    level, no leading or trailing ``/`` and no leading ``$`` (broker topics)."""
    problem: str | None = None
    if not isinstance(prefix, str) or not prefix:
        problem = "it is empty"
    elif "+" in prefix or "#" in prefix:
        problem = "it contains an MQTT wildcard ('+' or '#')"
    elif prefix.startswith("/"):
        problem = "it starts with '/' (that makes an empty first topic level)"
    elif prefix.endswith("/"):
        problem = "it ends with '/' (the '/' before the user id is added for you)"
    elif "//" in prefix:
        problem = "it has an empty topic level ('//')"
    elif prefix.startswith("$"):
        problem = "topics starting with '$' are reserved for the broker"
    elif "\x00" in prefix or any(ord(c) < 0x20 for c in prefix):
        problem = "it contains control characters"
    elif len(prefix.encode("utf-8")) > 1000:
        problem = "it is too long"
    if problem is not None:
        raise ValueError(
            f"mqtt {key} {prefix!r} is not a valid topic prefix: {problem}; "
            "use something like 'sitload' or 'clinic/sitload'"
        )
    return prefix


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one person: ``<prefix>/<user_id>/…``."""

    base: str

    @classmethod
    def of(cls, prefix: str, user_id: str) -> Topics:
        validate_topic_prefix(prefix)
        validate_user_id(user_id)
        return cls(f"{prefix}/{user_id}")

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def alert(self) -> str:
        return f"{self.base}/alert"

    @property
    def command(self) -> str:
        return f"{self.base}/command"

    @property
    def daily(self) -> str:
        """The day summary (retained; collector.sinks.day_report)."""
        return f"{self.base}/daily"

    @property
    def command_reply(self) -> str:
        return f"{self.base}/command/reply"

    @property
    def pain(self) -> str:
        """Pain scores: only the person's own broker user may publish here (ACL)."""
        return f"{self.base}/pain"

    @property
    def pain_reply(self) -> str:
        return f"{self.base}/pain/reply"


# --- values ----------------------------------------------------------------------------


def iso_utc(t_s: float) -> str:
    """``2024-05-06T09:30:00.250Z`` for Unix seconds ``t_s``."""
    dt = datetime.datetime.fromtimestamp(t_s, tz=datetime.UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_json(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a payload dict."""
    return dumps(payload).encode("utf-8")


def state_payload(status: LiveStatus) -> dict[str, Any]:
    """``<base>/state``: :meth:`LiveStatus.to_dict` plus ``t`` and ``schema``."""
    d = status.to_dict()
    d["t"] = iso_utc(status.t_s)
    d["schema"] = SCHEMA
    return d


ALERT_DECIMALS: dict[str, int] = {
    "t_s": 3,
    "bout_start_t_s": 3,
    "bout_minutes": 2,
    "saddle_minutes": 2,
    "stand_for_s": 1,
    "upright_s": 1,
}
"""Decimals kept of an alert's numbers in payloads: times to the millisecond (like
``t``), minutes like the state's, seconds to a tenth (the names keep their units)."""


def alert_dict(alert: Alert) -> dict[str, Any]:
    """:meth:`Alert.to_dict` with its numbers rounded (:data:`ALERT_DECIMALS`): a
    payload says ``"bout_minutes": 51.22``, not ``51.21666666666667``."""
    d = alert.to_dict()
    for key, decimals in ALERT_DECIMALS.items():
        value = d.get(key)
        if isinstance(value, float) and math.isfinite(value):
            d[key] = round(value, decimals)
    return d


def alert_payload(
    alert: Alert,
    *,
    user_id: str,
    raised_at_s: float,
    sent_at_s: float,
    late_after_s: float,
) -> dict[str, Any]:
    """``<base>/alert``: :func:`alert_dict` plus delivery fields.

    ``raised_at_s`` is the wall time the sink got the alert, ``sent_at_s`` the wall
    time of this send (a resend after a reconnection has a later one)."""
    delay_s = max(0.0, sent_at_s - raised_at_s)
    d = alert_dict(alert)
    d.update(
        t=iso_utc(alert.t_s),
        raised_at=iso_utc(raised_at_s),
        sent_at=iso_utc(sent_at_s),
        late=delay_s > late_after_s,
        delay_s=round(delay_s, 3),
        user=user_id,
        schema=SCHEMA,
    )
    return d


# --- commands ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandPayloadError:
    """Why a payload on the command topic is not a command."""

    reason: str
    text: str | None = None
    """The payload as text when it could be decoded (for the reply), else None."""


def _minutes_text(value: Any) -> str | None:
    """``value`` as minutes text if it is a number in (0, COMMAND_MINUTES_MAX]."""
    number: float
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)  # a 400-digit int overflows
        except OverflowError:
            return None
    elif isinstance(value, str):
        try:
            number = float(value.strip().lower().removesuffix("min").removesuffix("m"))
        except ValueError:
            return None
    else:
        return None
    if not (math.isfinite(number) and 0 < number <= COMMAND_MINUTES_MAX):
        return None
    return f"{number:g}"


def _minutes_error(value: Any, text: str) -> CommandPayloadError:
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:40] + "…"
    return CommandPayloadError(
        f'"minutes" must be a number of minutes above 0 and at most {COMMAND_MINUTES_MAX}, '
        f"got {shown}; {COMMAND_GRAMMAR}",
        text,
    )


def _checked_text(text: str, pain_topic: str | None) -> str | CommandPayloadError:
    """A text command, refused here when it is pain or has a number out of range."""
    words = text.split()
    head = words[0].lower()
    if head == "pain":
        where = f"on {pain_topic}" if pain_topic else "on the person's pain topic"
        return CommandPayloadError(
            "pain scores are not taken on the command topic (anyone allowed to send a "
            f"snooze could forge them): the person's own app publishes them {where}",
            text,
        )
    if head == "snooze" and len(words) == 2 and _minutes_text(words[1]) is None:
        return _minutes_error(words[1], text)
    return text


def _payload_text(payload: bytes, grammar: str) -> tuple[str, str] | CommandPayloadError:
    """The text of a command or pain payload and its stripped form, or why it has
    none (too long, not UTF-8, empty); ``grammar`` ends the error message."""
    if len(payload) > MAX_COMMAND_BYTES:
        return CommandPayloadError(f"the payload is {len(payload)} bytes; {grammar}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return CommandPayloadError(f"the payload is not UTF-8 text; {grammar}")
    stripped = text.strip()
    if not stripped:
        return CommandPayloadError(f"the payload is empty; {grammar}", text)
    return text, stripped


def parse_command_payload(
    payload: bytes, *, pain_topic: str | None = None
) -> str | CommandPayloadError:
    """The command text of a payload on ``<base>/command``, or why it is not one.

    Text (``snooze 15``, ``ack`` …) is passed on as it is (the service judges it);
    JSON objects ``{"command": "snooze", "minutes": 15}`` become ``snooze 15``.
    Refused here: pain scores (they come only on ``pain_topic``) and minutes that are
    not a number in (0, :data:`COMMAND_MINUTES_MAX`]."""
    read = _payload_text(payload, COMMAND_GRAMMAR)
    if isinstance(read, CommandPayloadError):
        return read
    text, stripped = read
    if stripped[0] not in "{[":
        return _checked_text(stripped, pain_topic)
    try:
        obj = json.loads(stripped)
    except ValueError as exc:
        return CommandPayloadError(
            f"the payload is not valid JSON ({exc}); {COMMAND_GRAMMAR}", text
        )
    if not isinstance(obj, dict):
        return CommandPayloadError(f"a JSON command must be an object; {COMMAND_GRAMMAR}", text)
    command = obj.get("command")
    if not isinstance(command, str) or not command.strip():
        return CommandPayloadError(
            f'the JSON object has no string "command"; {COMMAND_GRAMMAR}', text
        )
    if obj.get("minutes") is None:
        return _checked_text(command.strip(), pain_topic)
    minutes = _minutes_text(obj["minutes"])
    if minutes is None:
        return _minutes_error(obj["minutes"], text)
    return _checked_text(f"{command.strip()} {minutes}", pain_topic)


def parse_pain_payload(payload: bytes) -> str | CommandPayloadError:
    """The pain report of a payload on ``<base>/pain`` as ``pain SCORE [WHEN] [NOTE]``
    text (the service checks the score and the note), or why it is not one."""
    read = _payload_text(payload, PAIN_GRAMMAR)
    if isinstance(read, CommandPayloadError):
        return read
    text, stripped = read
    if stripped[0] != "{":
        words = stripped.split(maxsplit=1)
        return stripped if words[0].lower() == "pain" else f"pain {stripped}"
    try:
        obj = json.loads(stripped)
    except ValueError as exc:
        return CommandPayloadError(f"the payload is not valid JSON ({exc}); {PAIN_GRAMMAR}", text)
    if not isinstance(obj, dict):
        return CommandPayloadError(f"a JSON pain report must be an object; {PAIN_GRAMMAR}", text)
    score = obj.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        shown = repr(score)[:40]
        return CommandPayloadError(
            f'"score" must be a whole number 0-10, got {shown}; {PAIN_GRAMMAR}', text
        )
    when = obj.get("when", "now")
    if when not in ("morning", "evening", "now"):
        return CommandPayloadError(
            f'"when" must be "morning", "evening" or "now"; {PAIN_GRAMMAR}', text
        )
    note = obj.get("note", "")
    if not isinstance(note, str):
        return CommandPayloadError(f'"note" must be text; {PAIN_GRAMMAR}', text)
    return " ".join(part for part in ("pain", str(score), when, " ".join(note.split())) if part)


def reply_payload(command: str | None, results: list[Alert]) -> dict[str, Any]:
    """The answer to a command: the alerts it produced; ``ok`` is False when one of
    them is REJECTED (its message is the ``error``)."""
    rejected = [a for a in results if a.kind == AlertKind.REJECTED]
    return {
        "ok": not rejected,
        "command": command,
        "results": [alert_dict(a) for a in results],
        "error": rejected[0].message if rejected else None,
        "schema": SCHEMA,
    }


def refusal_payload(error: CommandPayloadError) -> dict[str, Any]:
    """The answer to a payload that is not a command."""
    text = error.text
    if text is not None and len(text) > 200:
        text = text[:200] + "…"
    return {"ok": False, "command": text, "results": [], "error": error.reason, "schema": SCHEMA}
