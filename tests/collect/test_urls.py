"""URL normalisation, scope and trap protection (pure functions)."""

from __future__ import annotations

import pytest

from drupalscan.collect.urls import Scope, TrapGuard, normalise_url, path_pattern, repeated_segments


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/./b/../c#frag", "http://example.com/a/c"),
        ("https://x.org:443", "https://x.org/"),
        ("http://x.org:8080/p", "http://x.org:8080/p"),
        ("http://x.org/p?b=2&a=1", "http://x.org/p?a=1&b=2"),
        ("http://x.org/p?PHPSESSID=abc&q=1", "http://x.org/p?q=1"),
        ("http://x.org/p?sid=abc", "http://x.org/p"),
        ("http://x.org/p;jsessionid=ABC123?x=1", "http://x.org/p?x=1"),
        ("http://x.org/p?SESS0123456789abcdef0123456789abcdef=v", "http://x.org/p"),
        ("http://x.org/%7euser/a%2fb", "http://x.org/~user/a%2Fb"),
        ("http://x.org/caf%c3%a9", "http://x.org/caf%C3%A9"),
        ("http://x.org/a b", "http://x.org/a%20b"),
        ("http://user:secret@x.org/p", "http://x.org/p"),
        ("http://x.org/d?tp1qhh", "http://x.org/d?tp1qhh"),
        ("http://X.org.", "http://x.org/"),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


@pytest.mark.parametrize("raw", ["mailto:a@b.c", "javascript:void(0)", "tel:123", "", "ftp://x/"])
def test_non_http_urls_are_dropped(raw: str) -> None:
    assert normalise_url(raw, "http://x.org/") is None


def test_relative_urls_resolve_against_base() -> None:
    assert normalise_url("../c?z=1#t", "http://x.org/a/b/") == "http://x.org/a/c?z=1"
    assert normalise_url("//other.org/x", "https://x.org/") == "https://other.org/x"


def test_normalisation_is_idempotent() -> None:
    once = normalise_url("http://x.org/%7ea/b c?z=%2f&a=caf%C3%A9")
    assert once is not None
    assert normalise_url(once) == once


def test_path_pattern_and_traps() -> None:
    assert path_pattern("http://x/events/2024/05") == ("/events/N/N", True)
    assert path_pattern("http://x/calendar/2024-05-01") == ("/calendar/D", True)
    assert path_pattern("http://x/search?q=a&page=2") == ("/search?page&q", True)
    # One number is a content id: /node/N must never be capped.
    assert path_pattern("http://x/node/12") == ("/node/N", False)
    assert path_pattern("http://x/about") == ("/about", False)


def test_trap_guard_caps_calendar_but_not_nodes() -> None:
    guard = TrapGuard(cap=5)
    calendar = [f"http://x/events/{y}/{m:02d}" for y in range(2000, 2030) for m in range(1, 13)]
    assert sum(guard.admit(u) for u in calendar) == 5
    assert all(guard.admit(f"http://x/node/{n}") for n in range(500))
    assert sum(guard.admit(f"http://x/search?q={n}") for n in range(100)) == 5


def test_trap_guard_counts_known_urls_on_resume() -> None:
    known = [f"http://x/events/2024/{m:02d}" for m in range(1, 5)]
    guard = TrapGuard(cap=5, known=known)
    assert guard.admit("http://x/events/2025/01")
    assert not guard.admit("http://x/events/2025/02")


def test_repeated_segments() -> None:
    assert repeated_segments("http://x/a/b/a/b/a/b")
    assert not repeated_segments("http://x/a/b/c")
    assert not TrapGuard(cap=50).admit("http://x/a/b/a/b/a/b")


def test_scope() -> None:
    scope = Scope("x.org", path_prefix="/hr", include=(r"/hr/",), exclude=(r"\.pdf$",))
    assert scope.allows("http://x.org/hr/policies")
    assert scope.allows("https://x.org/hr/policies")
    assert not scope.allows("http://x.org/news")
    assert not scope.allows("http://other.org/hr/policies")
    assert not scope.allows("http://x.org/hr/a.pdf")
    assert not Scope("x.org").allows("http://x.org/user/logout")
    assert not Scope("x.org").allows("http://x.org/?q=user/logout")
    with pytest.raises(ValueError):
        Scope("x.org", include=("(",))
