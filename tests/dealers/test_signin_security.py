"""Sign-in hardening: repeated wrong passwords lock one user name from one
address for the cool-off (django-axes), with a message on the sign-in page in
the user's language; the session cookie's flags and lifetime."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.handlers import proxy
from axes.utils import reset
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from dealers import signin
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

DESK = "192.0.2.10"
OTHER_DESK = "192.0.2.11"


def _sign_in(client, staff, password: str, ip: str = DESK):
    return client.post(reverse("login"), {"username": staff.user.username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, staff, times: int, ip: str = DESK):
    return [_sign_in(client, staff, "wrong-password", ip) for _ in range(times)]


def _locked_message() -> str:
    with translation.override("zh-hans"):
        return signin.lockout_message()


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_fifth_wrong_password_locks_the_user_name_with_a_chinese_message(client, advisor):
    assert settings.AXES_FAILURE_LIMIT == 5
    responses = _fail(client, advisor, 5)
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert 'data-testid="signin-locked"' not in responses[3].content.decode()
    locked = responses[4]
    assert locked.status_code == 429
    html = locked.content.decode()
    assert 'data-testid="signin-locked"' in html and _locked_message() in html
    assert "30" in _locked_message()
    assert 'name="password"' in html, "the sign-in form is shown again"
    assert locked["Content-Language"] == "zh-hans"


def test_the_right_password_is_refused_while_locked(client, advisor):
    _fail(client, advisor, 5)
    response = _sign_in(client, advisor, PASSWORD)
    assert response.status_code == 429 and _locked_message() in response.content.decode()
    assert not _signed_in(client)


def test_the_lock_is_per_user_name_and_address(client, advisor, manager):
    _fail(client, advisor, 5)
    assert _sign_in(client, advisor, PASSWORD, ip=OTHER_DESK).status_code == 302, "the user at another desk"
    client.logout()
    assert _sign_in(client, manager, PASSWORD).status_code == 302, "a colleague at the same desk"


def test_the_lock_ends_after_the_cool_off(client, advisor, monkeypatch):
    _fail(client, advisor, 5)
    later = timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    monkeypatch.setattr(proxy, "now", lambda: later)  # axes' clock
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = _sign_in(client, advisor, PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_a_manager_can_lift_the_lock_before_the_cool_off(client, advisor):
    _fail(client, advisor, 5)
    assert _sign_in(client, advisor, PASSWORD).status_code == 429
    reset(username=advisor.user.username)
    assert _sign_in(client, advisor, PASSWORD).status_code == 302 and _signed_in(client)


def test_a_successful_sign_in_clears_the_count_of_failures(client, advisor):
    _fail(client, advisor, 4)
    assert _sign_in(client, advisor, PASSWORD).status_code == 302
    client.logout()
    responses = _fail(client, advisor, 4)
    assert all(r.status_code == 200 for r in responses)
    assert _sign_in(client, advisor, PASSWORD).status_code == 302


def test_the_session_cookie_lasts_a_working_day_and_is_hidden_from_scripts(client, advisor):
    assert settings.SESSION_COOKIE_AGE == 10 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax" and settings.CSRF_COOKIE_SAMESITE == "Lax"
    response = _sign_in(client, advisor, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 10 * 60 * 60
    page = client.get(reverse("login"))
    csrf = page.cookies.get(settings.CSRF_COOKIE_NAME) or client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"]


def test_htmx_still_gets_the_csrf_token_from_the_page(client, advisor, login):
    """The CSRF cookie is HttpOnly: htmx must read the token from base.html's hx-headers."""
    html = login(advisor).get(reverse("home"), follow=True).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
