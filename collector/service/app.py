"""Builds a run of the live service from validated settings: sources and sinks."""

from __future__ import annotations

import time

from rich.console import Console

from collector.config import Settings
from collector.service.runner import RunSummary, Service, local_zone, plan_for
from collector.sinks.base import AlertSink


def build_sinks(settings: Settings, console: Console | None = None) -> list[AlertSink]:
    """Console (unless disabled) and MQTT (when a broker is configured)."""
    sinks: list[AlertSink] = []
    tz = local_zone(settings.timezone)
    if settings.console.enabled:
        from collector.sinks.console import ConsoleSink

        sinks.append(ConsoleSink(settings.console, console, tz=tz))
    if settings.mqtt is not None:
        from collector.sinks.mqtt import MqttSink

        sinks.append(MqttSink(settings.mqtt))
    return sinks


def make_service(
    settings: Settings, sinks: list[AlertSink], *, save_every_s: float = 2.0
) -> Service:
    tz = local_zone(settings.timezone)
    return Service(settings, plan_for(settings, tz, time.time()), sinks, save_every_s=save_every_s)


async def run_service(settings: Settings, console: Console | None = None) -> RunSummary:
    service = make_service(settings, build_sinks(settings, console))
    return await service.run()
