"""Builds a run of the live service from validated settings: sources and sinks."""

from __future__ import annotations

import datetime
import os
import time
from typing import TYPE_CHECKING

from rich.console import Console

from collector.config import Settings
from collector.service.engine import zone_offset
from collector.service.instance_lock import InstanceLock
from collector.service.plans import local_zone, plan_for
from collector.service.runner import HistorySubmit, RunSummary, Service
from collector.sinks.base import AlertSink

if TYPE_CHECKING:
    from collector.sinks.history.writer import HistoryWriter


def build_sinks(settings: Settings, console: Console | None = None) -> list[AlertSink]:
    """Console (unless disabled) and MQTT (when a broker is configured)."""
    sinks: list[AlertSink] = []
    tz = local_zone(settings.timezone)
    if settings.console.enabled:
        from collector.sinks.console import ConsoleSink

        sinks.append(ConsoleSink(settings.console, console, tz=tz))
    if settings.mqtt is not None:
        from collector.sinks.ha_registry import REGISTRY_FILE, seed_legacy_default
        from collector.sinks.mqtt import MqttSink

        registry = settings.state_dir / REGISTRY_FILE
        if settings.mqtt.discovery:
            seed_legacy_default(registry, settings.state_dir, settings.mqtt)
        sinks.append(MqttSink(settings.mqtt, discovery_registry=registry))
    if settings.source.kind == "ble" and settings.haptic.enabled:
        sinks.append(haptic_sink(settings, tz))
    return sinks


def haptic_sink(settings: Settings, tz: datetime.tzinfo) -> AlertSink:
    """Vibrations on the sensors that have a haptic output, never in quiet hours."""
    from analytics.alert_schedule import prompts_allowed
    from collector.sinks.haptic import HapticSink, patterns

    offset_s = zone_offset(tz)
    return HapticSink(
        allowed=lambda t_s: prompts_allowed(settings.alerts, t_s, offset_s(t_s)),
        patterns=patterns(settings.haptic),
    )


def open_history(settings: Settings, *, spool: str = "history-spool") -> HistoryWriter:
    """The history store of ``settings.history_url`` behind a writer that spools to
    ``STATE_DIR/<spool>/<destination>`` while the store is down (one writer per spool
    folder: the service and a one-off command use different ones; one folder per
    store URL and user, see collector.sinks.history.spool_destination)."""
    from collector.sinks.history.factory import open_store
    from collector.sinks.history.spool_destination import spool_folder
    from collector.sinks.history.writer import HistoryWriter

    store = open_store(settings.history_url, os.environ)
    folder = spool_folder(settings.state_dir / spool, settings.history_url, settings.user_id)
    return HistoryWriter(store, folder)


def make_service(
    settings: Settings,
    sinks: list[AlertSink],
    *,
    save_every_s: float = 2.0,
    history: HistorySubmit | None = None,
) -> Service:
    tz = local_zone(settings.timezone)
    return Service(
        settings,
        plan_for(settings, tz, time.time()),
        sinks,
        save_every_s=save_every_s,
        history=history,
    )


async def run_service(settings: Settings, console: Console | None = None) -> RunSummary:
    """Raises InstanceLockedError when another service runs on the same state folder."""
    with InstanceLock(settings.state_dir):
        service = make_service(
            settings, build_sinks(settings, console), history=open_history(settings)
        )
        return await service.run()
