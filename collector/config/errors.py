"""Configuration errors, and pydantic's validation errors turned into messages that
name the file, the key path, the problem and the fix. Importing this module does not
import pydantic (a command that reads no config file never needs it)."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

if TYPE_CHECKING:
    from pydantic import BaseModel


class ConfigError(ValueError):
    """The configuration is wrong. The message names the file (or the command-line
    option), the key path, the problem and the fix; the CLI exits 2 with it."""


SECRET_KEYS = frozenset({"password", "url", "username"})
"""Keys whose values are never echoed in an error message."""


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and repr)."""
    return re.sub(r"(//[^/@:]*:)[^/]*@", r"\1***@", url)


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("alerts", "quiet_hours", 1)`` -> ``alerts.quiet_hours[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def unwrap(annotation: Any) -> Any:
    """The model class (or list item type) inside Optional / Annotated / list."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            return annotation


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    from pydantic import BaseModel

    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        by_key = {(f.alias or name): f for name, f in model.model_fields.items()}
        if part not in by_key:
            return None
        model = unwrap(by_key[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a table of this model may hold, as written in the file."""
    return [(f.alias or name) for name, f in model.model_fields.items()]


_TYPE_WORDS = {
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string in double quotes",
    "list_type": 'must be a list in square brackets, e.g. ["…"]',
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "finite_number": "must be a finite number",
}


def describe(
    error: Mapping[str, Any],
    where: str,
    root: type[BaseModel],
    written: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """One pydantic error of the file ``where`` (validated as ``root``) as one line.

    ``written``: ``(table, key)`` -> the deprecated key the file used for it, so the
    message names the key as written."""
    loc = tuple(error["loc"])
    if written and len(loc) >= 2 and (str(loc[0]), str(loc[1])) in written:
        loc = (loc[0], written[(str(loc[0]), str(loc[1]))], *loc[2:])
    path = key_path(loc)
    kind = error["type"]
    value = error.get("input")
    last = loc[-1] if loc else ""
    secret = isinstance(last, str) and last in SECRET_KEYS
    got = "" if secret else f" (got {value!r})"
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        known = keys_of(parent) if parent is not None else []
        what = "table" if isinstance(value, dict) else "key"
        close = difflib.get_close_matches(str(last), known, n=1)
        fix = f"did you mean {close[0]!r}? " if close else ""
        return (
            f"{where}: {path}: unknown {what}; {fix}known keys here: {', '.join(known)} "
            "(see config/desk-worker.toml)"
        )
    if kind == "missing":
        return f"{where}: {path}: required; add it"
    if kind == "value_error":
        ctx = error.get("ctx") or {}
        return f"{where}: {path}: {ctx.get('error', error['msg'])}"
    if kind in _TYPE_WORDS:
        hint = ""
        if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            hint = "; write it without quotes"
        return f"{where}: {path}: {_TYPE_WORDS[kind]}{got}{hint}"
    msg = str(error["msg"])
    msg = msg.replace("Input should be", "must be").replace("String should", "must")
    return f"{where}: {path}: {msg}{got}"
