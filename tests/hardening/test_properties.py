"""Property-based tests of the pure parsers the collectors trust with hostile input.

URL normalisation keeps the crawl frontier finite and secrets out of the
store; the .info parser reads whatever a scanned site ships; version_key
orders releases for every ``version_lt`` rule.  Each must never raise on
arbitrary text and must keep its documented invariants.
"""

from __future__ import annotations

import string
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from drupalscan.collect.infofile import parse_info
from drupalscan.collect.urls import SESSION_PARAMS, normalise_url
from drupalscan.rules.matchers import _compare, version_key

PROPS = settings(database=None, deadline=None, max_examples=200)

hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True)
segments = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@ äü/", max_size=20
)
query_keys = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
query_values = st.text(alphabet=string.ascii_letters + string.digits + " +-_.~%", max_size=8)


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, str, str]:
    """(url, scheme, host) of a plausible URL with fragment, query and maybe a session id."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(hosts)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(segments, max_size=4)))
    pairs = draw(st.lists(st.tuples(query_keys, query_values), max_size=4))
    if draw(st.booleans()):
        pairs.append((draw(st.sampled_from(sorted(SESSION_PARAMS))), "abc123"))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    fragment = draw(st.sampled_from(["", "#top", "#a/b?c"]))
    url = f"{scheme}://{host.upper() if draw(st.booleans()) else host}{port}/{path}"
    return url + (f"?{query}" if query else "") + fragment, scheme.lower(), host


@PROPS
@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=60)))
def test_normalise_never_raises(text: str, base: str | None) -> None:
    result = normalise_url(text, base)
    assert result is None or result.startswith(("http://", "https://"))


@PROPS
@given(urls())
def test_normalise_is_idempotent_and_keeps_scheme_and_host(case: tuple[str, str, str]) -> None:
    url, scheme, host = case
    once = normalise_url(url)
    assert once is not None
    assert normalise_url(once) == once
    parts = urlsplit(once)
    assert parts.scheme == scheme
    assert parts.hostname == host.lower()


@PROPS
@given(urls())
def test_normalise_drops_fragments_and_session_ids(case: tuple[str, str, str]) -> None:
    once = normalise_url(case[0])
    assert once is not None and "#" not in once
    keys = {k.split("=", 1)[0].lower() for k in urlsplit(once).query.split("&") if k}
    assert not keys & SESSION_PARAMS


@PROPS
@given(st.text(max_size=500))
def test_parse_info_never_raises(text: str) -> None:
    info = parse_info(text)
    assert isinstance(info, dict)


info_keys = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
info_values = st.text(alphabet=string.ascii_letters + string.digits + " ._-()>=<,/", max_size=30)


@PROPS
@given(
    st.dictionaries(info_keys, info_values.map(str.strip), max_size=8),
    st.dictionaries(
        info_keys, st.lists(info_values.map(str.strip), min_size=1, max_size=5), max_size=4
    ),
)
def test_parse_info_round_trip(scalars: dict[str, str], arrays: dict[str, list[str]]) -> None:
    """key = "value" and key[] = "value" lines come back as written (quoted: exact)."""
    arrays = {k: v for k, v in arrays.items() if k not in scalars}
    lines = [f'{k} = "{v}"' for k, v in scalars.items()]
    for key, values in arrays.items():
        lines.extend(f'{key}[] = "{v}"' for v in values)
    assert parse_info("\n".join(lines) + "\n") == {**scalars, **arrays}


versions = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4)


@PROPS
@given(versions, versions, st.sampled_from([".", "-", ".x-", "-rc"]))
def test_version_order_matches_tuple_order(a: list[int], b: list[int], sep: str) -> None:
    """version_lt is the tuple order of the numbers: 7.9 < 7.10, total and antisymmetric."""
    va, vb = sep.join(map(str, a)), sep.join(map(str, b))
    assert version_key(va) == tuple(a)
    lt, gt = _compare("version_lt", va, vb), _compare("version_lt", vb, va)
    assert lt == (tuple(a) < tuple(b))
    assert not (lt and gt)
    assert lt or gt or version_key(va) == version_key(vb)


@PROPS
@given(versions, versions, versions)
def test_version_order_is_transitive(a: list[int], b: list[int], c: list[int]) -> None:
    va, vb, vc = (".".join(map(str, v)) for v in (a, b, c))
    if _compare("version_lt", va, vb) and _compare("version_lt", vb, vc):
        assert _compare("version_lt", va, vc)
