"""The minimum-duration rule (analytics/smoothing.py): a posture change counts only
after it lasted ``hold_s``, everywhere, gaps included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.records import Int8Array, Posture
from analytics.smoothing import enforce_posture_hold, runs

NW, SIT, UP = int(Posture.NONWEAR), int(Posture.SITTING), int(Posture.UPRIGHT)
MIN_S = 10


def labels(*parts: tuple[int, int]) -> Int8Array:
    return np.concatenate([np.full(n, v, dtype=np.int8) for v, n in parts])


def stretches(x: Int8Array) -> list[tuple[int, int]]:
    """[start, end) of every wear stretch (maximal runs without non-wear)."""
    out: list[tuple[int, int]] = []
    starts, lengths, values = runs(np.asarray(x != NW))
    for s, n, v in zip(starts.tolist(), lengths.tolist(), values.tolist(), strict=True):
        if v:
            out.append((s, s + n))
    return out


def sit_to_stand(x: Int8Array) -> set[int]:
    """Indices where a sitting second is directly followed by an upright one."""
    return {int(i) + 1 for i in np.flatnonzero((x[:-1] == SIT) & (x[1:] == UP))}


def test_issue_11_short_runs_without_a_long_neighbour_do_not_keep_their_labels() -> None:
    x = np.array([1] * 4 + [2] * 5 + [1] * 5 + [2] * 6, np.int8)
    out = enforce_posture_hold(x, 10)
    # 9 s sitting, 11 s upright, no run of 10 s: one posture, the one with most seconds
    np.testing.assert_array_equal(out, np.full(20, UP, np.int8))


def test_a_stretch_between_gaps_becomes_one_posture() -> None:
    x = labels((SIT, 30), (NW, 2), (SIT, 3), (UP, 4), (SIT, 2), (NW, 1), (UP, 40))
    out = enforce_posture_hold(x, MIN_S)
    np.testing.assert_array_equal(out[30:32], [NW, NW])
    # 5 s sitting against 4 s upright: the stretch sat
    np.testing.assert_array_equal(out[32:41], np.full(9, SIT))
    np.testing.assert_array_equal(out[41], NW)
    np.testing.assert_array_equal(out[:30], np.full(30, SIT))
    np.testing.assert_array_equal(out[42:], np.full(40, UP))


def test_a_tie_goes_to_the_posture_the_stretch_started_in() -> None:
    x = labels((NW, 3), (UP, 2), (SIT, 4), (UP, 2), (NW, 3), (SIT, 4), (UP, 4), (NW, 1))
    out = enforce_posture_hold(x, MIN_S)
    np.testing.assert_array_equal(out, labels((NW, 3), (UP, 8), (NW, 3), (SIT, 8), (NW, 1)))


def test_short_runs_beside_a_long_run_still_take_its_posture() -> None:
    x = labels((SIT, 12), (UP, 5), (SIT, 3), (NW, 2), (UP, 3), (SIT, 10), (UP, 2))
    out = enforce_posture_hold(x, MIN_S)
    np.testing.assert_array_equal(out, labels((SIT, 20), (NW, 2), (SIT, 15)))


def test_non_wear_is_never_relabelled_however_short() -> None:
    x = labels((SIT, 20), (NW, 1), (SIT, 20), (NW, 1), (UP, 1))
    np.testing.assert_array_equal(enforce_posture_hold(x, MIN_S), x)


# --- properties over random runs and gaps ------------------------------------------

_RUN = st.tuples(
    st.sampled_from([int(p) for p in Posture]),
    st.integers(min_value=1, max_value=25),
)


@st.composite
def _timelines(draw: st.DrawFn) -> Int8Array:
    parts = draw(st.lists(_RUN, min_size=1, max_size=40))
    return labels(*parts)


@settings(max_examples=400, deadline=None)
@given(_timelines(), st.integers(min_value=2, max_value=15))
def test_property_every_change_lasted_min_s(x: Int8Array, hold_s: int) -> None:
    out = enforce_posture_hold(x, hold_s)
    assert out.dtype == np.int8
    assert out.shape == x.shape
    # non-wear unchanged, and nothing else becomes non-wear
    np.testing.assert_array_equal(out == NW, x == NW)
    for a, b in stretches(x):
        piece = out[a:b]
        # only labels the stretch had
        assert set(np.unique(piece).tolist()) <= set(np.unique(x[a:b]).tolist())
        _, lengths, values = runs(piece)
        # every run lasted hold_s, or the stretch is one posture
        assert values.shape[0] == 1 or bool((lengths >= hold_s).all()), (a, b, piece)
    # idempotent
    np.testing.assert_array_equal(enforce_posture_hold(out, hold_s), out)


@st.composite
def _joined(draw: st.DrawFn) -> tuple[Int8Array, Int8Array, Int8Array]:
    """The same wear data joined without gaps and with gaps inserted between
    pieces (the files of a recording day): (without, with, index of every second of
    ``with`` in ``without``, -1 for inserted gap seconds)."""
    parts = draw(st.lists(st.tuples(st.sampled_from([SIT, UP]), st.integers(1, 25)), min_size=1))
    plain = labels(*parts)
    n = plain.shape[0]
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, n - 1)), max_size=6))))
    pieces, where = [], []
    prev = 0
    for c in [*cuts, n]:
        if c <= prev:
            continue
        pieces.append(plain[prev:c])
        where.append(np.arange(prev, c))
        if c < n:
            g = draw(st.integers(1, 12))
            pieces.append(np.full(g, NW, np.int8))
            where.append(np.full(g, -1))
        prev = c
    return plain, np.concatenate(pieces), np.concatenate(where)


@settings(max_examples=400, deadline=None)
@given(_joined())
def test_property_gaps_never_add_a_sit_to_stand(
    case: tuple[Int8Array, Int8Array, Int8Array],
) -> None:
    """Joining the same data with gaps between the pieces can only lose transitions
    (a gap is never a transition), never create one: short runs next to a gap count
    no more than they would without it."""
    plain, gapped, where = case
    without = sit_to_stand(enforce_posture_hold(plain, MIN_S))
    with_gaps = {int(where[i]) for i in sit_to_stand(enforce_posture_hold(gapped, MIN_S))}
    assert with_gaps <= without


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=60), st.integers(0, 1))
def test_runs_of_short_and_long_arrays_agree(codes: list[int], long: int) -> None:
    """Short arrays take fresh temporaries, long ones scratch buffers: same runs."""
    x = np.array(codes * (5000 if long else 1), dtype=np.int8)
    starts, lengths, values = runs(x)
    assert starts.dtype == lengths.dtype == np.int64
    assert int(starts[0]) == 0
    assert int(lengths.sum()) == x.shape[0]
    np.testing.assert_array_equal(np.repeat(values, lengths), x)
    assert (values[1:] != values[:-1]).all()
    np.testing.assert_array_equal(starts[1:], np.cumsum(lengths)[:-1])
