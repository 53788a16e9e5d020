"""The review's JSON and CSV exports (collector/review/export.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from analytics.review_records import Review
from collector.review.export import CSV_COLUMNS, SCHEMA, render_csv, render_json, review_dict
from collector.review.meta import ReportMeta
from tests.review_store import SimHistory


def test_json_is_one_object_with_everything(rev: Review, meta: ReportMeta) -> None:
    doc = json.loads(render_json(rev, meta))
    assert doc == review_dict(rev, meta)
    assert doc["schema"] == SCHEMA
    assert (doc["user"], doc["first_day"], doc["last_day"]) == (
        "p-0042",
        "2026-03-02",
        "2026-03-22",
    )
    assert doc["time_zone"] == "Europe/London"
    assert doc["generated_at"] == "2026-03-23T09:30:00+00:00"
    assert len(doc["days"]) == 21
    assert len(doc["pain"]["mornings"]) == 22
    assert doc["flags"][0]["kind"] == "pain"
    assert doc["days"][0]["adherence"]["source"] == "daily"
    assert doc["bout_bins"]["labels"] == ["<30min", "30-60min", "1-2h", "2-4h", ">=4h"]
    assert [w["flagged"] for w in doc["weeks"]] == [False, True, False]
    assert doc["weeks"][0]["week_start"] == "2026-03-02"
    assert doc["totals"]["valid_days"] == 20
    assert doc["any_riding"] is True


def test_csv_is_the_per_day_table(history: SimHistory, rev: Review) -> None:
    text = render_csv(rev)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 21
    body = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]]
    for row, sim in zip(body, history.days, strict=True):
        assert row["date"] == sim.date.isoformat()
        assert float(row["compression_min"]) == pytest.approx(sim.compression_s / 60, abs=0.05)
        assert row["valid"] == ("false" if sim.kind == "low_wear" else "true")
    tue = body[8]  # 2026-03-10, heavy
    assert (tue["high_compression"], tue["pain_next_morning"], tue["pain_next_above_baseline"]) == (
        "true",
        "5",
        "true",
    )
    assert body[-1]["adherence_source"] == "counted"


# --------------------------------------------------------------------------- CLI
