"""The ``[user]`` table: the pseudonymous id, the time zone and the profile."""

from __future__ import annotations

import zoneinfo
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from collector.config.identity import check_user_id
from collector.config.records import Profile
from collector.config.schema import TABLE


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
