"""Errors the CLI turns into one clear line and exit code 2 (bad input or usage)."""

from __future__ import annotations


class InputError(Exception):
    """Input the user gave us is unreadable or invalid.

    The message is shown as-is on one line, so it must name the file and the place that is
    wrong, and must never quote a sampled data value.
    """


class PolicyError(InputError):
    """A policy file or policy directory is invalid (parse error, unsupported builtin, ...)."""
