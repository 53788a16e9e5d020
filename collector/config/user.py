"""The ``[user]`` table: the pseudonymous id, the time zone and the profile."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from collector.config.records import Profile
from collector.config.schema import TABLE

_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_user_id(value: str) -> str:
    """``value`` if it is a valid user id (raises ``ValueError`` naming the rule)."""
    if not _USER_ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid id; use 1 to 64 of the characters a-z A-Z 0-9 _ - "
            "(a pseudonym such as 'p-7f3a', never a name: it appears in MQTT topics)"
        )
    return value


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/London' or "
            "'America/New_York' (leave it out for the system's zone)"
        ) from None
    return value


UserId = Annotated[str, AfterValidator(check_user_id)]


class UserTable(BaseModel):
    model_config = TABLE
    id: UserId | None = None
    timezone: Annotated[str, AfterValidator(_check_timezone)] | None = None
    profile: Profile | None = None
