"""Logging in through Drupal's user login form, and again when the session expires.

An intranet is often behind a login.  ``--auth USER --login-url /user/login``
fills Drupal's form (its hidden ``form_build_id`` and ``form_id`` sent back
with ``name`` and ``pass``); the session cookie that comes back is shared
with every worker.  A long crawl may outlive the session: an answer that
says "logged out" triggers one new login, shared by all workers and
bounded per crawl, so a site that logs us out on every page is not
hammered with login POSTs.

The password lives only in this object's memory; it is never stored,
printed or put in an error message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from drupalscan.collect.fetch import REDIRECT_STATUSES, Fetcher
from drupalscan.collect.pagerecord import Fetched
from drupalscan.collect.urls import normalise_url

MAX_RELOGINS = 3
"""Form logins after the first one in a crawl; a session that keeps expiring is an error."""

LOGIN_FORM_IDS = frozenset({"user_login", "user_login_block", "user_login_form"})
"""Drupal 7's page and block login forms, and Drupal 8+'s."""


class LoginError(Exception):
    """Logging in failed; the message is one line for the user, without secrets."""


class FormLogin:
    """A Drupal form login for one crawl, and its bounded renewals."""

    def __init__(self, fetcher: Fetcher, login_url: str, user: str, password: str) -> None:
        self.fetcher = fetcher
        self.url = login_url
        self.path = urlsplit(login_url).path
        self._user = user
        self._password = password
        self.lock = threading.Lock()
        self.generation = 0
        """Logins done so far; a worker that saw an expiry names the one it used."""
        self.relogins = 0
        self.error = ""

    def login(self) -> None:
        """Fill the login form and share the new session cookie; LoginError if refused."""
        fetcher = self.fetcher
        sess = fetcher.session()
        before = {c.name: c.value for c in sess.cookies}
        page = fetcher.exchange(self.url, read=True)
        if page.status == 0 or page.error:
            raise LoginError(f"login failed: cannot load {self.url} ({page.error or 'no answer'})")
        soup = BeautifulSoup((page.body or b"").decode("utf-8", "replace"), "html.parser")
        form = None
        for candidate in soup.find_all("form"):
            ids = {i.get("value") for i in candidate.find_all("input", attrs={"name": "form_id"})}
            if ids & LOGIN_FORM_IDS:
                form = candidate
                break
        if form is None:
            raise LoginError(f"login failed: no Drupal login form at {self.url}")
        data = {
            str(i["name"]): str(i.get("value") or "")
            for i in form.find_all("input")
            if i.get("name") and str(i.get("type") or "").lower() in ("hidden", "submit")
        }
        data.update({"name": self._user, "pass": self._password})
        action = normalise_url(str(form.get("action") or self.url), self.url) or self.url
        answer = fetcher.exchange(action, method="POST", data=data, read=True)
        if answer.status == 0:
            raise LoginError(f"login failed: posting the form failed ({answer.error})")
        # Drupal 7 answers a good login with a redirect; a bad one re-renders the
        # form (and may still set an anonymous session cookie for its message).
        redirected = answer.status in REDIRECT_STATUSES
        form_again = not redirected and b'value="user_login' in (answer.body or b"")
        # New or changed cookies only: on a re-login the expired session cookie
        # is still in the jar and proves nothing.
        new = {c.name for c in sess.cookies if before.get(c.name) != c.value}
        session = any(n.upper().startswith(("SESS", "SSESS")) for n in new)
        if form_again or answer.status >= 400 or not (session or (new and redirected)):
            raise LoginError(
                "login failed: no session cookie was set (check user name and password)"
            )
        fetcher.share_cookies(sess.cookies)

    def logged_out(self, got: Fetched) -> bool:
        """Whether an answer says the session has expired.

        Drupal answers an expired session with a redirect to the login form
        or with 403/401.  A 403 page that still carries Drupal's
        ``logged-in`` body class is a real access denial, not an expiry.
        """
        if got.redirects and self.path:
            path = urlsplit(got.final_url).path.rstrip("/")
            if path == self.path.rstrip("/"):
                return True
        if got.status in (401, 403):
            return b"logged-in" not in (got.body or b"").replace(b"not-logged-in", b"")
        return False

    def renew(self, generation: int) -> str:
        """Log in again unless another worker already did; "" or why not."""
        with self.lock:
            if self.generation != generation:
                return ""
            if self.error:
                return self.error
            if self.relogins >= MAX_RELOGINS:
                self.error = f"session expired again after {self.relogins} new logins"
                return self.error
            self.relogins += 1
            try:
                self.login()
            except LoginError as exc:
                self.error = f"session expired; logging in again failed ({exc})"
                return self.error
            self.generation += 1
            return ""


def fetch_for_record(
    fetcher: Fetcher, login: FormLogin | None, url: str, known: Callable[[str], bool]
) -> Fetched:
    """Fetch one URL for its page record (runs in a worker thread).

    In a form-login crawl an answer that says "logged out" triggers one new
    login (shared by all workers, bounded) and one more try; when that
    fails the page keeps the answer as served, with the reason as error.
    """
    if login is None:
        return fetcher.fetch(url, known=known)
    generation = login.generation
    got = fetcher.fetch(url, known=known)
    if login.logged_out(got):
        why = login.renew(generation)
        if not why:
            got = fetcher.fetch(url, known=known)
            if login.logged_out(got):
                why = "session expired; still logged out after logging in again"
        if why and not got.error:
            got.error = why
    return got
