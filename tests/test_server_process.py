"""A missing server is a skip on a developer's machine and a failure in CI."""

from __future__ import annotations

import pytest

from tests.server_process import REQUIRE_SERVERS_ENV, missing


def test_a_missing_server_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_SERVERS_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs mosquitto"):
        missing("needs mosquitto")


def test_a_missing_server_fails_where_servers_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REQUIRE_SERVERS_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="needs mosquitto"):
        missing("needs mosquitto")
