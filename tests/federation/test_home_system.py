"""The SDK's home check receiver, hosted as a WSGI app on loopback the way a member would."""

import json
import threading
import time
from datetime import date
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests

from federation import webhooks
from federation.home_system import HomeCheckReceiver, HomePatron


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    """A receiver for one patron, served on a free loopback port; its URL and secret."""
    secret = webhooks.new_secret()
    patrons = {"111": HomePatron("good", date(2030, 1, 31), "Müller")}
    server = make_server("127.0.0.1", 0, HomeCheckReceiver(secret, patrons.get).wsgi_app,
                         handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/check", secret
    server.shutdown()


def ask(url, secret, question):
    """POST a question signed as the federation signs it."""
    body = json.dumps(question).encode()
    headers = webhooks.sign([secret], "chk_1", int(time.time()), body)
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_a_signed_question_gets_the_librarys_answer(receiver):
    """The answer: found, standing, expiry, and the surname compared inside the library."""
    url, secret = receiver
    answer = ask(url, secret, {"card_number": "111", "surname": "MULLER"}).json()
    assert answer == {"found": True, "standing": "good", "expires_on": "2030-01-31",
                      "identity": "matched"}
    assert ask(url, secret, {"card_number": "222"}).json() == {"found": False}


def test_unsigned_wrongly_signed_or_odd_requests_are_refused(receiver):
    """401 without a good signature; 400 without a card; 405 for anything but POST."""
    url, _ = receiver
    assert ask(url, webhooks.new_secret(), {"card_number": "111"}).status_code == 401
    assert requests.post(url, json={"card_number": "111"}, timeout=10).status_code == 401
    assert ask(url, receiver[1], {"surname": "x"}).status_code == 400
    assert requests.get(url, timeout=10).status_code == 405
