"""The font of the review's charts, measured without loading it: DejaVu Sans's
advance widths and vertical metrics (from its tables; the page names the font and
falls back to any sans-serif, so a text's width only places what sits beside it: a
legend's next entry, an axis label beside the widest tick label).

A text's width is the sum of its characters' advances, as a browser lays it out
without kerning (within a fraction of a point of the font's own layout); a character
not in the table counts as an em's 0.6.
"""

from __future__ import annotations

from typing import Final

FAMILY: Final = "DejaVu Sans"
UNITS_PER_EM: Final = 2048
ASCENT: Final = 1556 / UNITS_PER_EM
"""The font's ascent (OS/2 sTypoAscender) per point of size."""
DESCENT: Final = 492 / UNITS_PER_EM
"""The font's descent (-OS/2 sTypoDescender) per point of size."""
LINE_GAP: Final = 410 / UNITS_PER_EM
"""The font's line gap (OS/2 sTypoLineGap) per point of size."""

_ADVANCES: Final = (  # characters, advance in font units (of 2048 to the em)
    ("'", 563),
    ("ijl", 569),
    ("IJ", 604),
    (" ,.·’‘", 651),
    ("/:;\\|", 690),
    ("f", 721),
    ("-", 739),
    ("()[]", 799),
    ("t", 803),
    ("!", 821),
    ("r", 842),
    ('"', 942),
    ("*_`°–", 1024),
    ("“”", 1061),
    ("s", 1067),
    ("z", 1075),
    ("?", 1087),
    ("c", 1126),
    ("L", 1141),
    ("F", 1178),
    ("k", 1186),
    ("vxy", 1212),
    ("P", 1235),
    ("TY", 1251),
    ("oö", 1253),
    ("aàä", 1255),
    ("eéè", 1260),
    ("E", 1294),
    ("hnuü", 1298),
    ("Sbdgpqρ", 1300),
    ("$0123456789{}", 1303),
    ("K", 1343),
    ("AV", 1401),
    ("XZ", 1403),
    ("B", 1405),
    ("R", 1423),
    ("C", 1430),
    ("U", 1499),
    ("N", 1532),
    ("H", 1540),
    ("D", 1577),
    ("G", 1587),
    ("&", 1597),
    ("OQ", 1612),
    ("w", 1675),
    ("#+<=>^~≥≤→←−×±", 1716),
    ("M", 1767),
    ("%", 1946),
    ("½", 1985),
    ("m", 1995),
    ("W", 2025),
    ("@—…", 2048),
)
ADVANCE: Final = {c: units for chars, units in _ADVANCES for c in chars}
"""Each character's advance in font units."""
_OTHER: Final = round(0.6 * UNITS_PER_EM)


def text_width(text: str, size_pt: float) -> float:
    """The width of the one-line ``text`` at ``size_pt``, in points."""
    units = sum(ADVANCE.get(c, _OTHER) for c in text)
    return units * size_pt / UNITS_PER_EM
