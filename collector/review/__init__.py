"""``sitload report``: the physiotherapist's review of a date range from the history
store (load → analytics.review → HTML / JSON / CSV). See docs/report.md."""
