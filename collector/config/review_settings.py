"""What a review (``sitload report``, ``sitload clinic``) takes from the settings: the
user id, the time zone, the history and the break rules, read without pydantic when
there is no config file.

With a config file the whole file is read and checked as :func:`load_settings` checks
it (the same errors, naming the key); without one, every value is the built-in default
(a test checks them against :func:`load_settings` on no file), so a new process writing
a report does not import pydantic or build the file's schema (a tenth of a second or
more of its start).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from analytics.alert_params import AlertParams
from analytics.compression import ExposureParams
from collector.config.history import check_history_url, default_history_url
from collector.config.identity import MACHINE_ID_FILE, chosen_identity
from collector.config.records import APP_NAME, Overrides, exposure_params


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    user_id: str
    timezone: str | None
    """IANA name, or None: the machine's zone."""
    history_url: str
    exposure: ExposureParams
    taken_within_s: float
    """A break within this long after a prompt counts as taken."""


_REVIEW_OVERRIDES = frozenset({"history_url", "user_id"})
"""The command-line values the default path takes; any other: :func:`load_settings`."""


def review_settings(
    path: Path | None, overrides: Overrides, *, machine_id_file: Path = MACHINE_ID_FILE
) -> ReviewSettings:
    """The review's settings from the config file ``path`` (None: the built-in
    defaults) with the command-line ``overrides``. Raises :class:`ConfigError`."""
    others = {
        f.name
        for f in dataclasses.fields(overrides)
        if getattr(overrides, f.name) is not None and f.name not in _REVIEW_OVERRIDES
    }
    if path is not None or others:
        from collector.config.load import load_settings  # pydantic: the file's schema

        s = load_settings(path, overrides, machine_id_file=machine_id_file)
        return ReviewSettings(
            s.user_id, s.timezone, s.history_url, s.exposure, s.alerts.taken_within_s
        )
    state_dir = platformdirs.user_state_path(APP_NAME)
    who = chosen_identity(overrides.user_id, None, state_dir, machine_id_file)
    if overrides.history_url is not None:
        history_url = check_history_url(overrides.history_url, "--history")
    else:
        history_url = default_history_url()
    alerts = AlertParams()  # [alerts] with every key at its default
    return ReviewSettings(
        user_id=who.user_id,
        timezone=None,
        history_url=history_url,
        exposure=exposure_params(alerts),
        taken_within_s=alerts.taken_within_s,
    )
