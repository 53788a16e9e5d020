"""The HTML report opened in a real browser: headless Chromium renders every chart,
logs no console message, takes a screenshot and prints the page to PDF on A4.

Skipped only when Chromium is not installed (CI installs Debian's ``chromium``;
see .ci/run). Chromium as root needs ``--no-sandbox``; each run gets its own
profile folder under pytest's tmp dir and a timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.review import building
from collector.review.command import report_cmd
from tests.review_store import MemoryStore, filled_store, simulate_history
from tests.server_process import missing


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if CHROMIUM is None:
        missing("chromium is not installed (apt install chromium)")


TIMEOUT_S = 120

CHECK_SCRIPT = """<script>
(function () {
  var svgs = document.querySelectorAll("svg");
  var bad = [];
  for (var i = 0; i < svgs.length; i++) {
    var box = svgs[i].getBoundingClientRect();
    if (!(box.width > 0 && box.height > 0)) { bad.push(i + ":" + box.width + "x" + box.height); }
  }
  document.title = bad.length === 0
    ? "all " + svgs.length + " charts rendered"
    : "charts not rendered: " + bad.join(" ");
})();
</script>"""


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of three simulated weeks, written by the command line."""
    history = simulate_history()
    store = filled_store(history)
    out = tmp_path_factory.mktemp("report") / "review.html"
    mp = pytest.MonkeyPatch()

    def fake_open(url: str) -> MemoryStore:
        return store

    mp.setattr(building, "open_history", fake_open)
    try:
        result = CliRunner().invoke(
            report_cmd,
            [
                "--from", "2026-03-02", "--to", "2026-03-22", "--user", history.user,
                "--tz", history.tz, "--out", str(out),
            ],
        )  # fmt: skip
    finally:
        mp.undo()
    assert result.exit_code == 0, result.stderr
    return out


def test_every_chart_renders_without_console_errors(report: Path, tmp_path: Path) -> None:
    html = report.read_text(encoding="utf-8")
    n = html.count("<svg")
    assert n == 6
    checked = tmp_path / "checked.html"
    checked.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    run = chromium(tmp_path, "--dump-dom", checked.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", run.stdout, re.S)
    assert title is not None, run.stdout[:500]
    assert title.group(1) == f"all {n} charts rendered"
    assert console_lines(run.stderr) == []


def test_a_screenshot_of_the_report(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    run = chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2400", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert png.is_file()
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # a page of charts and tables, not a blank one
    from PIL import Image  # pillow comes with matplotlib

    with Image.open(png) as im:
        assert im.size == (1280, 2400)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None
        assert len(colours) > 100
    assert console_lines(run.stderr) == []


def test_the_report_prints_to_a4_pages(report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    run = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    sections = report.read_text(encoding="utf-8").count("<section ")
    assert pages >= sections  # every section after the summary starts a page
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes
    assert all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842.9) < 2 for w, h in boxes)  # A4
