"""Entra tokens for the database: asked for once, reused while valid, renewed before expiry."""
import threading

from shared.entra import DATABASE_SCOPE, REFRESH_MARGIN_SECONDS, TokenSource
from tests.doubles import FakeClock, FakeCredential


def test_the_first_token_is_requested_for_the_postgresql_scope():
    credential = FakeCredential()
    assert TokenSource(credential).token() == credential.issued[0]
    assert credential.requests == [("https://ossrdbms-aad.database.windows.net/.default",)]
    assert DATABASE_SCOPE == "https://ossrdbms-aad.database.windows.net/.default"


def test_a_valid_token_is_reused_without_asking_the_credential_again():
    clock = FakeClock()
    credential = FakeCredential(lifetime_seconds=3600, clock=clock)
    tokens = TokenSource(credential, clock=clock)
    first = tokens.token()
    clock.now += 3600 - REFRESH_MARGIN_SECONDS - 1
    assert tokens.token() == first
    assert len(credential.requests) == 1


def test_a_token_within_the_margin_of_its_expiry_is_replaced_before_it_expires():
    clock = FakeClock()
    credential = FakeCredential(lifetime_seconds=3600, clock=clock)
    tokens = TokenSource(credential, clock=clock)
    first = tokens.token()
    clock.now += 3600 - REFRESH_MARGIN_SECONDS
    second = tokens.token()
    assert second != first
    assert len(credential.requests) == 2
    clock.now += 60  # the new token is fresh again
    assert tokens.token() == second


def test_an_expired_token_is_never_handed_out():
    clock = FakeClock()
    credential = FakeCredential(lifetime_seconds=600, clock=clock)
    tokens = TokenSource(credential, clock=clock)
    tokens.token()
    clock.now += 10_000
    assert tokens.token() == credential.issued[-1]
    assert len(credential.requests) == 2


def test_concurrent_new_connections_share_one_token_request():
    credential = FakeCredential()
    tokens = TokenSource(credential)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(tokens.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [credential.issued[0]] * 8
    assert len(credential.requests) == 1


def test_the_token_source_does_not_show_its_token():
    credential = FakeCredential()
    tokens = TokenSource(credential)
    token = tokens.token()
    assert token not in repr(tokens) and token not in str(tokens)
