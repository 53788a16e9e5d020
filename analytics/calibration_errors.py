"""Errors of calibration, shared by the pipeline and its callers."""


class CalibrationError(ValueError):
    """The data cannot give a calibration; the message says what the user should do."""
