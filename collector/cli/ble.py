"""``sitload scan`` and ``sitload record``: BLE sensors nearby, and recording them with
a live table of each device's counters (also used by ``simulate --ble``). The BLE
stack is imported when a command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from collector.cli.common import fail, output_console
from collector.plural import counted


def counters_table(title: str, sources: list[Any], now_t_s: float) -> Table:
    from collector.ble.session import COUNTER_COLUMNS, counters_rows

    table = Table(title=title)
    for name in COUNTER_COLUMNS:
        table.add_column(name)
    for row in counters_rows(sources, now_t_s):
        table.add_row(*row)
    return table


def record_live(out: Path, prepare: Any, duration_s: float | None) -> None:
    """Run a recording session with a live table of the devices' counters.

    ``prepare`` is an async function (run inside the event loop) that returns the
    device specs, the BLE context and an optional awaitable that ends the session."""
    import asyncio

    from rich.live import Live

    from collector.ble.session import SetupError, record

    console = Console(stderr=True)

    async def go() -> tuple[list[Any], Any, Any]:
        specs, ctx, until = await prepare()
        with Live(console=console, refresh_per_second=2, transient=True) as live:

            def progress(sources: list[Any], recorder: Any) -> None:
                title = f"recording to {out}: {counted(recorder.rows, 'row', thousands=True)}"
                live.update(counters_table(title, sources, ctx.clock()))

            sources, recorder = await record(
                specs, out, ctx=ctx, duration_s=duration_s, progress=progress, until=until
            )
        return sources, recorder, ctx

    try:
        sources, recorder, ctx = asyncio.run(go())
    except SetupError as exc:
        fail(str(exc))
        return
    title = f"recorded {counted(recorder.rows, 'row', thousands=True)} to {out}"
    console.print(counters_table(title, sources, ctx.clock()))
    if recorder.gaps:
        longest = max(g.duration_s for g in recorder.gaps)
        console.print(
            f"{len(recorder.gaps)} gap(s), listed in {out.name}.session.json "
            f"(longest {longest:.1f} s)"
        )


def simulate_over_ble(recording: Any, out: Path, speed: float) -> None:
    from collector.extras import require

    require("bumble", "simulate --ble (the virtual BLE radio)")
    from collector.ble.session import scaled_clock
    from collector.ble.virtual.rig import virtual_rig

    async def prepare() -> tuple[list[Any], Any, Any]:
        rig = virtual_rig(recording, speed=speed)
        await rig.start()
        ctx = rig.context(scaled_clock(float(recording.t_s[0]), speed))
        return rig.specs, ctx, rig.stream()

    record_live(out, prepare, None)


@click.command()
@click.option("--seconds", type=click.FloatRange(min=0.5, max=120), default=8.0, show_default=True)
def scan(seconds: float) -> None:
    """List nearby sensors sitload can read: kind, address, name, signal strength."""
    import asyncio

    from collector.ble.session import SetupError
    from collector.ble.session import scan as ble_scan

    console = output_console()
    try:
        with console.status(f"scanning for {seconds:g} s…"):
            found = asyncio.run(ble_scan(seconds))
    except SetupError as exc:
        fail(str(exc))
        return
    if not found:
        console.print("no sensor sitload can read was advertising; is it on and awake?")
        return
    table = Table(title="sensors in range")
    for name in ("kind", "address", "name", "RSSI (dBm)"):
        table.add_column(name)
    for f in found:
        table.add_row(str(f.kind), f.address, f.name, str(f.rssi))
    console.print(table)
    console.print("record one with: sitload record --device KIND:ADDRESS --out day.csv")


@click.command(name="record")
@click.option(
    "--device",
    "devices",
    multiple=True,
    required=True,
    help="KIND[:ADDRESS|NAME][/ROLE], repeatable; KIND is sitload-imu, sitload-pressure, "
    "witmotion, csc or cycling-power; ROLE is thigh, trunk, seat or bike.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Recording (.csv).")
@click.option(
    "--duration",
    "duration_min",
    type=click.FloatRange(min=0.1),
    help="Stop after this many minutes [default: until Ctrl-C].",
)
def record_cmd(devices: tuple[str, ...], out: Path, duration_min: float | None) -> None:
    """Record BLE sensors to a recording file, with a live display of each device."""
    from collector.ble.session import SetupError, parse_device, unique_labels
    from collector.ble.source import BleContext

    try:
        specs = unique_labels([parse_device(d) for d in devices])
    except SetupError as exc:
        fail(str(exc))
        return

    async def prepare() -> tuple[list[Any], Any, Any]:
        return specs, BleContext(), None

    duration_s = None if duration_min is None else duration_min * 60
    record_live(out, prepare, duration_s)
