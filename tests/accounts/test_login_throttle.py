"""Login throttling holds attackers back without locking the owner out."""
from __future__ import annotations

import statistics
import time

import pytest

from app.accounts import throttle
from tests.conftest import PASSWORD, Auth, csrf_token

ATTACKER, OWNER = "198.51.100.23", "101.6.8.77"


def attempt(app, address: str, login: str, password: str, language: str = "zh"):
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language)
    return Auth(client).login(login, password)


def test_fifty_wrong_passwords_from_one_address_never_keep_the_owner_out(app, make_user):
    make_user("lin@example.com")
    statuses = [attempt(app, ATTACKER, "lin@example.com", f"guess-{n}-xyzzy").status_code
                for n in range(50)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    # The owner, from her own phone, gets in at once with the right password.
    assert attempt(app, OWNER, "lin@example.com", PASSWORD).status_code == 302
    # The attacker's address stays throttled, even with the right password, and is told when.
    blocked = attempt(app, ATTACKER, "lin@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    page = blocked.get_data(as_text=True)
    assert "失败次数太多" in page and "后再试" in page
    english = attempt(app, ATTACKER, "lin@example.com", PASSWORD, "en").get_data(as_text=True)
    assert "Too many failed attempts. Please try again in" in english


def test_an_account_attacked_from_many_addresses_makes_them_wait_but_hears_the_owner(app, make_user):
    make_user("lin@example.com")
    for n in range(12):  # a botnet: two guesses from each of six addresses
        attempt(app, f"198.51.100.{n // 2}", "lin@example.com", f"guess-{n}-xyzzy")
    again = attempt(app, "198.51.100.0", "lin@example.com", PASSWORD)
    assert again.status_code == 429 and "失败次数太多" in again.get_data(as_text=True)
    assert attempt(app, OWNER, "lin@example.com", PASSWORD).status_code == 302


def test_unknown_accounts_are_throttled_exactly_like_known_ones(app, make_user):
    make_user("lin@example.com")
    known = [attempt(app, ATTACKER, "lin@example.com", f"g-{n}-xyzzy").status_code for n in range(8)]
    unknown = [attempt(app, "198.51.100.99", "nobody@example.com", f"g-{n}-xyzzy").status_code
               for n in range(8)]
    assert known == unknown


def test_unknown_users_and_wrong_passwords_take_similar_time(app, make_user, monkeypatch):
    from app.accounts import passwords

    make_user("lin@example.com")
    verified = []
    real = passwords.ARGON2

    class Counting:  # the same hasher, counting its verifies
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, given):
            verified.append(stored)
            return real.verify(stored, given)

    monkeypatch.setattr(passwords, "ARGON2", Counting())

    def hashes_for(address, login) -> int:
        before = len(verified)
        assert attempt(app, address, login, "wrong-password-123").status_code == 401
        return len(verified) - before

    # The same work both ways, counted rather than timed (timing a loaded machine is noise):
    # one Argon2id verify each, the unknown one against the stand-in hash.
    for n in range(3):
        assert hashes_for(f"198.51.100.{n}", "lin@example.com") == 1
        assert hashes_for(f"198.51.101.{n}", f"nobody{n}@example.com") == 1
    assert passwords._DUMMY_HASH in verified

    def timed(address, login):
        started = time.perf_counter()
        attempt(app, address, login, "wrong-password-123")
        return time.perf_counter() - started

    # And a coarse look at the clock, interleaved: a shortcut would be many times faster.
    pairs = [(timed(f"198.51.102.{n}", "lin@example.com"), timed(f"198.51.103.{n}", f"none{n}@example.com"))
             for n in range(7)]
    assert 0.2 < statistics.median(u for _w, u in pairs) / statistics.median(w for w, _u in pairs) < 5


def test_the_waits_grow_and_are_capped():
    waits = [throttle.backoff_seconds(n) for n in range(1, 40)]
    assert waits[:throttle.FREE_FAILURES] == [0] * throttle.FREE_FAILURES
    assert waits[throttle.FREE_FAILURES:throttle.FREE_FAILURES + 4] == [2, 4, 8, 16]
    assert waits == sorted(waits) and max(waits) == throttle.MAX_WAIT_SECONDS


def _guess_from_fresh_addresses(app, count: int, start: int = 0):
    return [attempt(app, f"203.0.113.{start + n}", "lin@example.com", f"guess-{n}-xyzzy").status_code
            for n in range(count)]


def test_the_owner_on_her_own_phone_is_never_held_by_someone_elses_guessing(app, make_user):
    """Her phone signed in before (it holds the device cookie): one typo of hers plus any
    amount of guessing from anywhere else, and her right password still gets her in."""
    make_user("lin@example.com")
    phone = app.test_client()
    phone.environ_base.update(REMOTE_ADDR=OWNER)
    assert Auth(phone).login("lin@example.com").status_code == 302
    phone.post("/logout", data={"csrf_token": csrf_token(phone, "/account")})
    assert Auth(phone).login("lin@example.com", "my-typo-123").status_code == 401
    # A guesser from 40 addresses: past the ceiling, every unknown browser waits, even with
    # the right password; the account's wait is re-armed at full length with each guess.
    _guess_from_fresh_addresses(app, throttle.UNTRUSTED_CEILING + 10)
    assert attempt(app, "198.51.100.200", "lin@example.com", PASSWORD).status_code == 429
    assert Auth(phone).login("lin@example.com").status_code == 302


@pytest.mark.slow
def test_guessing_spread_over_many_addresses_gets_a_bounded_number_of_checks(app, make_user):
    make_user("lin@example.com")
    statuses = _guess_from_fresh_addresses(app, throttle.UNTRUSTED_CEILING + 10)
    checked = statuses.count(401)
    assert checked == throttle.UNTRUSTED_CEILING and set(statuses[checked:]) == {429}


def test_the_owner_on_a_new_phone_may_mistype_once(app, make_user):
    make_user("lin@example.com")
    _guess_from_fresh_addresses(app, 12)  # someone is guessing: the account's wait is armed
    assert attempt(app, OWNER, "lin@example.com", "my-typo-123").status_code == 401
    assert attempt(app, OWNER, "lin@example.com", PASSWORD).status_code == 302


@pytest.mark.slow
def test_a_forged_device_cookie_is_an_unknown_browser(app, make_user):
    make_user("lin@example.com")
    _guess_from_fresh_addresses(app, throttle.UNTRUSTED_CEILING)
    forger = app.test_client()
    forger.environ_base.update(REMOTE_ADDR="198.51.100.77")
    forger.set_cookie(throttle.DEVICE_COOKIE, "eyJkIjoieCIsImEiOlsiYWJjIl19.forged")
    assert Auth(forger).login("lin@example.com", PASSWORD).status_code == 429


def test_an_ipv6_network_is_one_address_for_the_limit(app, make_user):
    make_user("lin@example.com")
    statuses = [attempt(app, f"2001:db8:1:2::{n + 1:x}", "nobody@example.com", "guess-xyzzy-1")
                .status_code for n in range(7)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
