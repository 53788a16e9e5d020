"""The clinic overview page: self-contained, one row per patient linking to the
patient's report, and in headless Chromium (as the report's own test runs it) sorted
by a click on a heading and followed to a patient's report."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.sinks.history.factory import open_store
from tests.collector.review.clinic_patients import PAIN_ONLY, TZ, clinic_records
from tests.collector.test_report_chromium import CHROMIUM, chromium, console_lines
from tests.server_process import missing

N_PATIENTS = 7


@pytest.fixture(scope="module")
def overview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The overview of seven simulated patients (and a pain-only user) from SQLite."""
    base = tmp_path_factory.mktemp("clinic")
    url = f"sqlite:///{base / 'clinic.db'}"
    store = open_store(url, os.environ)
    try:
        store.write(clinic_records(N_PATIENTS, awake_only=True))
    finally:
        store.close()
    out = base / "overview"
    result = CliRunner().invoke(
        main, ["clinic", "--history", url, "--tz", TZ, "--out", str(out), "--jobs", "2"]
    )
    assert result.exit_code == 0, result.stderr
    return out


def rows_of(out: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((out / "index.json").read_text(encoding="utf-8"))[
        "patients"
    ]
    return rows


def test_the_page_is_self_contained_and_links_every_report(overview: Path) -> None:
    page = (overview / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://|<link|\bsrc=|@import|url\(", page)
    hrefs = re.findall(r'href="([^"]+)"', page)
    reports = [r["report"] for r in rows_of(overview) if r["report"]]
    assert hrefs == reports  # in the table's order
    assert len(hrefs) == N_PATIENTS
    for href in hrefs:
        report = (overview / href).read_text(encoding="utf-8")
        assert "<title>sitload review · " in report
        assert (overview / href.replace(".html", ".json")).is_file()
    assert f'data-sort="{PAIN_ONLY}">{PAIN_ONLY}</th>' in page  # a row, no link
    # the first order: most alerts first
    alerts = [r["alerts"] for r in rows_of(overview) if r["report"]]
    assert alerts == sorted(alerts, reverse=True)


SORT_SCRIPT = """<script>
(function () {
  document.querySelector('th[data-key="%s"] button').click();
  %s
  var rows = document.getElementById("patients").tBodies[0].rows;
  var order = [];
  for (var i = 0; i < rows.length; i++) { order.push(rows[i].cells[0].getAttribute("data-sort")); }
  document.title = "sorted: " + order.join(" ");
  %s
})();
</script>"""


def run_in_chromium(overview: Path, tmp_path: Path, script: str) -> tuple[str, str]:
    """The page with ``script`` at its end, opened beside the reports: the DOM
    Chromium ends on, and its console lines."""
    if CHROMIUM is None:
        missing("chromium is not installed (apt install chromium)")
    page = (overview / "index.html").read_text(encoding="utf-8")
    checked = overview / f"check-{len(list(overview.glob('check-*')))}.html"
    checked.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    run = chromium(tmp_path, "--dump-dom", checked.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, "\n".join(console_lines(run.stderr))


def title(dom: str) -> str:
    found = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert found is not None, dom[:500]
    return found.group(1)


def test_a_click_on_a_heading_sorts_the_rows(overview: Path, tmp_path: Path) -> None:
    rows = rows_of(overview)
    by_compression = sorted(
        rows,
        key=lambda r: (
            r["compression_per_valid_day_s"] is None,
            -(r["compression_per_valid_day_s"] or 0),
        ),
    )
    dom, console = run_in_chromium(overview, tmp_path, SORT_SCRIPT % ("compression", "", ""))
    assert console == ""
    assert title(dom) == "sorted: " + " ".join(r["user"] for r in by_compression)
    assert 'data-key="compression" data-type="num" aria-sort="descending"' in dom
    # a second click reverses; unknown values stay last
    again = "document.querySelector('th[data-key=\"compression\"] button').click();"
    dom, _ = run_in_chromium(overview, tmp_path, SORT_SCRIPT % ("compression", again, ""))
    known = [r for r in by_compression if r["compression_per_valid_day_s"] is not None]
    unknown = [r["user"] for r in by_compression if r["compression_per_valid_day_s"] is None]
    ascending = [r["user"] for r in sorted(known, key=lambda r: r["compression_per_valid_day_s"])]
    assert title(dom) == "sorted: " + " ".join([*ascending, *unknown])  # ties keep their order
    # text columns sort ascending first
    dom, _ = run_in_chromium(overview, tmp_path, SORT_SCRIPT % ("patient", "", ""))
    assert title(dom) == "sorted: " + " ".join(sorted(r["user"] for r in rows))


def test_a_patients_link_opens_their_report(overview: Path, tmp_path: Path) -> None:
    rows = [r for r in rows_of(overview) if r["report"]]
    most = max(r["long_bouts"] for r in rows)
    top = next(r for r in rows if r["long_bouts"] == most)  # ties keep the first order
    follow = 'rows[0].querySelector("a").click();'
    dom, console = run_in_chromium(overview, tmp_path, SORT_SCRIPT % ("long_bouts", "", follow))
    assert console == ""
    assert title(dom).startswith(f"sitload review · {top['user']} · {top['first_day']} to ")
    assert "<svg" in dom  # the report's page with its charts


def test_user_ids_and_flag_texts_are_escaped() -> None:
    import datetime as dt

    from collector.review.clinic_html import ClinicMeta, render_index
    from collector.review.clinic_rows import ClinicRow

    row = ClinicRow(
        user='<img src=x onerror="alert(1)">',
        report="a b&c.html",
        first_day="2026-03-01",
        last_day="2026-03-02",
        has_data=True,
        last_data_day="2026-03-02",
        days=2,
        valid_days=1,
        alerts=1,
        flag_kinds=("pain",),
        flag_texts=('"quoted" <text>',),
    )
    meta = ClinicMeta(dt.datetime(2026, 3, 3, tzinfo=dt.UTC), "9", "UTC", "SQLite <x>", "r")
    page = render_index([row], meta)
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'href="a%20b%26c.html"' in page
    assert 'title="&quot;quoted&quot; &lt;text&gt;"' in page
    assert "SQLite &lt;x&gt;" in page
    assert "(1 day ago)" not in page
    assert "<small>1 day ago</small>" in page
