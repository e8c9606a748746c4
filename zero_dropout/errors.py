"""An error told without personal data: its class and message with every run of 5 or more digits and every
Thai word masked (an ID, a name or an address never reaches a log, a message or the Dagster UI)."""

from __future__ import annotations

import re

MAX_CHARS = 200


class Told(Exception):
    """An error whose message is written for the person running the command (which file or row, what to do):
    the command line prints it as it is, on one line, with exit code 1."""


def masked(text: str) -> str:
    text = re.sub(r"[0-9]{5,}", "#####", text)
    return re.sub(r"[\u0e00-\u0e7f]+", "…", text)[:MAX_CHARS]


def describe(err: BaseException) -> str:
    """``Class: first line of the message``, masked; a file system error names its file and what to do."""
    if isinstance(err, PermissionError) and err.filename:
        return f"cannot write or read {err.filename}: permission denied; choose a folder this user may write"
    if isinstance(err, FileNotFoundError) and err.filename:
        return f"{err.filename} does not exist"
    first = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {masked(first)}"
