"""``sitload run``: sources → live engine → sinks, in one asyncio task group.

* Sources (BLE sensors, a replayed file or the simulator) put messages on one bounded
  queue; the consumer feeds the engine and hands alerts and the status to every sink.
  Commands from the sinks (MQTT command topic, desktop buttons, the terminal) go
  through the same queue, so they are applied in data order with the samples.
* The engine state is saved atomically every ``save_every_s`` and at the end; a
  restarted service resumes the bout clock (see LiveEngine). A replay or a simulation
  resumes where the saved state stopped, with its context window fed again.
* SIGINT / SIGTERM stop the sources, flush the engine's final seconds (for a replay),
  save, and stop the sinks (which publish "offline").
"""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from analytics.alert_records import PROMPTS
from analytics.day_summary import DaySummary
from analytics.live_steps import EngineOutput
from collector.config import Settings
from collector.service.command_guard import SERVICE_LIMITS, CommandGuard, split_rejected
from collector.service.day_summaries import DaySummaries
from collector.service.engine import LiveEngine, new_engine
from collector.service.history_feed import (
    daily_record,
    records_of,
    revision_records,
    with_revisions,
)
from collector.service.pain import is_pain, pain_refused, record_pain
from collector.service.plans import Source, SourcePlan, local_zone, source_key
from collector.service.state_store import StateStore
from collector.service.systemd import Notifier
from collector.sinks.base import AlertSink, CommandRequest
from collector.sinks.day_report import DayReport
from collector.sinks.history.factory import redact
from collector.sinks.history.model import HistoryRecord
from collector.sources.messages import Message

log = logging.getLogger(__name__)

STATE_VERSION = 1
QUEUE_SIZE = 2048


@dataclass(frozen=True, slots=True)
class _Tick:
    t_s: float  # wall time, for live sensors (see LiveEngine.tick)


class HistorySubmit(Protocol):
    """The part of collector.sinks.history.writer.HistoryWriter the service uses."""

    def submit(self, records: Sequence[HistoryRecord]) -> None: ...

    def close(self, timeout_s: float = 10.0) -> Any: ...


@dataclass
class RunSummary:
    """What one run did (printed by the CLI, checked by tests)."""

    seconds: int = 0
    alerts: int = 0
    commands: int = 0
    rejected_commands: int = 0
    """Commands refused (answered to the sender only: not alerts, not history)."""
    dropped_commands: int = 0
    """Commands over the rate limit of their source (dropped unanswered)."""
    samples: int = 0
    resumed_from_t_s: float | None = None
    restart_pauses: int = 0
    last_t_s: float | None = None
    stopped_by: str = "running"
    prompts: int = 0
    """Stand, posture and saddle prompts, escalations and repeats raised."""
    days: list[DaySummary] = field(default_factory=list)
    """The day summaries published: one per local day, at its midnight or at the end."""
    history: str | None = None
    """Where the history went: the store's URL without its password (None: not kept)."""


class Service:
    """One run of the live service. ``sinks`` and ``sources`` are built by the caller
    (see :func:`build_sources`); ``clock`` is wall time (for saving)."""

    def __init__(
        self,
        settings: Settings,
        plan: SourcePlan,
        sinks: Sequence[AlertSink],
        *,
        save_every_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        extra_state: dict[str, Any] | None = None,
        history: HistorySubmit | None = None,
    ) -> None:
        self.settings = settings
        self.history = history
        self.tz = local_zone(settings.timezone)
        self.plan = plan
        self.sinks = list(sinks)
        self.save_every_s = save_every_s
        self.clock = clock
        self.store = StateStore(settings.state_dir, settings.user_id)
        self.key = source_key(settings)
        self.extra_state = dict(extra_state or {})
        self.summary = RunSummary(history=None if history is None else redact(settings.history_url))
        self.days = DaySummaries(self.tz, settings.alerts.exposure)
        self.engine: LiveEngine | None = None
        self._queue: asyncio.Queue[Message | CommandRequest | _Tick | None] = asyncio.Queue(
            QUEUE_SIZE
        )
        self._stop = asyncio.Event()
        self._sources: list[Source] = []
        self._last_save = -math.inf
        self._stop_hooks: list[Callable[[], Any]] = []
        self._puts: set[asyncio.Task[None]] = set()
        self.guard = CommandGuard(SERVICE_LIMITS, what="commands")

    # --- state ---------------------------------------------------------------------
    def _saved_engine(self) -> dict[str, Any] | None:
        saved = self.store.load()
        if saved is None:
            return None
        if saved.get("finished"):
            log.info("the saved state is of a replay that ran to its end: starting afresh")
            return None
        if saved.get("version") != STATE_VERSION or saved.get("source") != self.key:
            log.warning(
                "the saved state in %s belongs to another source (%s); starting afresh",
                self.store.path,
                saved.get("source"),
            )
            return None
        self.extra_state = {**saved.get("extra", {}), **self.extra_state}
        engine = saved.get("engine")
        return engine if isinstance(engine, dict) else None

    def save(self, *, finished: bool = False) -> None:
        """``finished``: a replay or simulation ran to its end (the next run of it
        starts afresh instead of resuming)."""
        if self.engine is None:
            return
        self.store.save(
            {
                "version": STATE_VERSION,
                "source": self.key,
                "finished": finished,
                "extra": self.extra_state,
                "engine": self.engine.state_dict(),
            }
        )
        self._last_save = self.clock()

    # --- plumbing ------------------------------------------------------------------
    async def _emit(self, message: Message) -> None:
        await self._queue.put(message)

    def command(self, request: CommandRequest) -> None:
        """Thread-safe: called by sinks from any thread."""
        if not self.guard.admit(request.source):
            return  # a flood: dropped before it takes memory (counted, warned once)
        loop = self._loop

        def put() -> None:
            task = loop.create_task(self._queue.put(request))
            self._puts.add(task)  # keep a reference until it is done
            task.add_done_callback(self._puts.discard)

        loop.call_soon_threadsafe(put)

    def stop(self, reason: str = "stopped") -> None:
        if not self._stop.is_set():
            self.summary.stopped_by = reason
            self._stop.set()

    def _publish(self, out: EngineOutput) -> None:
        if not any((out.seconds, out.status, out.alerts, out.events, out.bouts, out.revisions)):
            return  # most blocks decide nothing (a step is 10 s of data)
        out = with_revisions(out, self.days)
        for alert in out.alerts:
            self.summary.prompts += alert.kind in PROMPTS
            if alert.adherence is not None:
                self.days.note(alert.adherence)
            for sink in self.sinks:
                sink.publish_alert(alert)
        if out.status is not None:
            for sink in self.sinks:
                sink.publish_status(out.status)
        self.summary.alerts += len(out.alerts)
        self._record(out)
        sec = out.seconds
        if sec is not None:
            self.summary.seconds += sec.n
            self.summary.last_t_s = float(sec.t0_s + sec.n)
            if self.engine is not None and self.engine.alerts.day is not None:
                self.days.note(self.engine.alerts.adherence)
            for day in self.days.add(sec.t0_s, sec.posture, sec.hip_flexion_deg):
                self._publish_day(day)

    def _publish_day(self, day: DaySummary) -> None:
        """A local day's summary to every sink (at its midnight, or at the end)."""
        self.summary.days.append(day)
        s = self.settings
        report = DayReport(day, s.user_id, self.summary.history, s.alerts.exposure.valid_day_wear_s)
        log.info("day summary of %s published", day.date)
        for sink in self.sinks:
            sink.publish_day(report)

    def _record(self, out: EngineOutput) -> None:
        """Everything the engine decided goes to the history (when one is set)."""
        if self.history is None or self.engine is None:
            return
        user = self.settings.user_id
        records = records_of(
            user,
            seconds=out.seconds,
            alerts=out.alerts,
            events=out.events,
            bouts=out.bouts,
            device=self.engine.primary,
            sensor_kind=self.settings.source.kind,
        )
        records += revision_records(
            user,
            out.revisions,
            self.days,
            self.tz,
            device=self.engine.primary,
            sensor_kind=self.settings.source.kind,
        )
        if out.seconds is not None and self.engine.totals is not None:
            records.append(
                daily_record(user, self.engine.totals, self.engine.alerts.adherence, self.tz)
            )
        if records:
            self.history.submit(records)

    def _handle_command(self, engine: LiveEngine, req: CommandRequest) -> None:
        self.summary.commands += 1
        log.info("command from %s: %r", req.source, req.text)
        if not is_pain(req.text):
            results = engine.command(req.text)
        elif req.pain_allowed:
            submit = None if self.history is None else self.history.submit
            results = [record_pain(submit, self.settings.user_id, req.text, engine.now_t_s())]
        else:
            results = [pain_refused(req.text, req.source, engine.now_t_s())]
        applied, rejected = split_rejected(results)
        if rejected:
            # answered to the sender; not an alert for everyone nor a history row
            self.summary.rejected_commands += 1
            log.info("command from %s refused: %s", req.source, rejected[0].message)
        self._publish(EngineOutput(alerts=applied, status=engine.status()))
        if req.reply is not None:
            try:
                req.reply(results)
            except Exception:  # a sink's reply must not stop the service
                log.exception("replying to a %s command failed", req.source)

    async def _consume(self, engine: LiveEngine) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                break
            if isinstance(item, CommandRequest):
                self._handle_command(engine, item)
            elif isinstance(item, _Tick):
                engine.tick(item.t_s)
                self._publish(engine.process())
            else:
                engine.accept(item)
                self._publish(engine.process())
            if self.clock() - self._last_save >= self.save_every_s:
                self.save()

    async def _run_sources(self) -> None:
        try:
            async with asyncio.TaskGroup() as tg:
                for src in self._sources:
                    tg.create_task(src.run())
        except BaseException:
            self.stop("a source failed")
            raise
        self.stop("end of data")

    async def _ticker(self, every_s: float = 1.0) -> None:
        """Live sensors only: time moves on even when every sensor is silent."""
        while not self._stop.is_set():
            await asyncio.sleep(every_s)
            await self._queue.put(_Tick(time.time()))

    async def _watch_stop(self, sources_task: asyncio.Task[None]) -> None:
        await self._stop.wait()
        for hook in self._stop_hooks:
            hook()
        for src in self._sources:
            await src.stop()
        try:
            await asyncio.wait_for(asyncio.shield(sources_task), 5.0)
        except TimeoutError:
            sources_task.cancel()
        await self._queue.put(None)

    async def _answer_late_commands(self, engine: LiveEngine) -> None:
        """Commands sent after the consumer stopped (e.g. an answer to a prompt of the
        final seconds) are still applied and answered, never lost."""
        await asyncio.sleep(0)  # the sinks' puts (call_soon_threadsafe) become tasks
        await asyncio.gather(*self._puts)  # and land in the queue
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, CommandRequest):
                self._handle_command(engine, item)

    def _notify_systemd(self, tg: asyncio.TaskGroup) -> None:
        """Under systemd (``Type=notify``): ready now, alive while the loop runs."""
        notifier = Notifier.from_env()
        if notifier is None:
            return
        notifier.ready(f"running for {self.settings.user_id} ({self.settings.source.kind})")
        tg.create_task(notifier.keep_alive(self._stop))
        self._stop_hooks.append(lambda: notifier.stopping(self.summary.stopped_by))

    async def run(self, *, handle_signals: bool = True) -> RunSummary:
        self._loop = asyncio.get_running_loop()
        saved = self._saved_engine()
        roles = self.plan.roles(self.extra_state)
        quarantine = self.store.quarantine
        self.engine = engine = new_engine(self.settings, roles, saved, self.tz, quarantine)
        self.summary.resumed_from_t_s = engine.resume_from_t_s
        self._sources = self.plan.build(self._emit, engine.resume_from_t_s, self.extra_state)
        for sink in self.sinks:  # a sink that acts on the sensors (the haptic one)
            attach = getattr(sink, "attach", None)
            if attach is not None:
                attach(self._sources)
        if handle_signals:
            for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
                self._loop.add_signal_handler(sig, self.stop, name)
        started: list[AlertSink] = []
        try:
            for sink in self.sinks:
                await sink.start(self.command)
                started.append(sink)
            async with asyncio.TaskGroup() as tg:
                sources_task = tg.create_task(self._run_sources())
                tg.create_task(self._watch_stop(sources_task))
                tg.create_task(self._consume(engine))
                if self.settings.source.kind == "ble":
                    ticker = tg.create_task(self._ticker())
                    self._stop_hooks.append(ticker.cancel)
                self._notify_systemd(tg)
            if self.summary.stopped_by == "end of data":
                self._publish(engine.process(flush=True))
                await self._answer_late_commands(engine)
            revisions = engine.revise_day()  # the stored hip angles, with what is known now
            if revisions:
                self._publish(EngineOutput(status=engine.status(), revisions=revisions))
            last = self.days.final()
            if last is not None:  # the day in progress, at the end of the run
                self._publish_day(last)
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    self._loop.remove_signal_handler(sig)
            self.save(
                finished=self.summary.stopped_by == "end of data"
                and self.settings.source.kind != "ble"
            )
            for sink in reversed(started):
                try:
                    await sink.stop()
                except Exception:
                    log.exception("stopping the %s sink failed", sink.name)
            if self.history is not None:
                await asyncio.to_thread(self.history.close, 10.0)
        self.summary.dropped_commands = self.guard.dropped_total
        self.summary.samples = engine.counters.samples
        self.summary.restart_pauses = engine.counters.restart_pauses
        return self.summary
