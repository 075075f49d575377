"""Errors every stage may raise for the user to fix.

Kept apart from `drupalscan.api` so that a stage (a formatter, say) can
raise one without importing the api that sits above it.
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: the CLI prints the message on one line and exits 2."""
