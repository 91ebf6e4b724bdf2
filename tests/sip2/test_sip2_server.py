"""The SIP2 door over a real socket: login, status, patron status and information (R2, R14-R16)."""

import threading

import pysip2
import pytest
from pysip2 import codec
from sqlalchemy import select

from app.extensions import db
from app.sip2.protocol import checksum
from app.verification.models import VerificationCount
from tests.sip2.client import SipClient, sip_now, sip_server

PASSWORD = "desk-password-1"


@pytest.fixture
def app_config():
    """Cheap argon2 costs for tests (the defaults take ~0.1 s a login, by design)."""
    return {"SIP2_HASH_TIME_COST": 1, "SIP2_HASH_MEMORY_KIB": 1024}


@pytest.fixture
def fed(federation):
    """HOME registers patrons; LEND's ILS logs in with the SIP account lend-desk."""
    federation.admit("HOME", prefixes=["20001"], name="Home Public Library")
    federation.admit("LEND", prefixes=["20002"])
    federation.register("HOME", "20001000000001", surname="Kowalski", external_ref="REF-9")
    federation.register("HOME", "20001000000002", standing="blocked", block_reasons=["fines"])
    federation.register("HOME", "20001000000003", expires_on="2001-01-01")
    response = federation.client.put("/api/v1/sip-accounts/lend-desk",
                                     json={"password": PASSWORD},
                                     headers=federation.headers("LEND"))
    assert response.status_code == 200, response.get_json()
    return federation


@pytest.fixture
def port(fed):
    with sip_server(fed.app) as bound:
        yield bound


DENIED = "YYYY" + " " * 10


def test_patron_status_and_information_answer_each_decision_like_verification(fed, port):
    """Flags, BL and AF from the verification decision; AE empty; nothing personal."""
    client = SipClient(port)
    assert client.login("lend-desk", PASSWORD).ok == "1"
    status = client.status()
    assert status.online_status == "Y" and status.protocol_version == "2.00"
    assert status.institution_id == "LEND"
    assert status.supported_messages == "YNNNYYYYYNNNNNNN"
    expected = {"20001000000001": (" " * 14, "Y"), "20001000000002": (DENIED, "Y"),
                "20001000000003": (DENIED, "Y"), "20001000000099": (DENIED, "N")}
    for card, (flags, valid) in expected.items():
        advice = fed.verify("LEND", card).get_json()["advice"]
        for answer in (client.patron_status(card), client.patron_information(card)):
            assert answer.patron_status == flags, card
            assert answer.valid_patron == valid, card
            assert answer.institution_id == "LEND" and answer.patron_identifier == card
            assert answer.personal_name == ""
            assert answer.screen_message == (advice,)
            assert answer.valid_patron_password is None
    info = client.patron_information("20001000000001")
    assert info.home_address is None and info.email_address is None
    assert info.home_phone_number is None and info.charged_items == ()
    assert info.hold_items_count == "    "  # not known to the federation (R16)
    client.close()


def test_recorded_client_shapes_without_error_detection(fed, port):
    """Field order varies, optional fields are missing, CR LF or LF ends a message."""
    client = SipClient(port, error_detection=False)
    assert client.login("lend-desk", PASSWORD).ok == "1"
    date = sip_now()
    recorded = [
        # a self-check sending AA before AO, with empty terminal and patron passwords
        f"23001{date}AA20001000000002|AOLEND|AC|AD|\r\n",
        # an ILS that leaves out AC, AD and the summary's trailing blanks' meaning
        f"63001{date}Y         AOLEND|AA20001000000002|\n",
        # no trailing field separator, CR only
        f"23001{date}AOLEND|AA20001000000002\r",
    ]
    for message in recorded:
        client.send_raw(message.encode())
        frame = client.read_raw()
        decoded = codec.decode_message(frame).message
        assert decoded.patron_status == DENIED and decoded.valid_patron == "Y"
        assert b"AY" not in frame and b"AZ" not in frame
    client.send_raw(b"35" + date.encode() + b"AOLEND|AA20001000000002|\r")
    assert codec.decode_message(client.read_raw()).message.end_session == "Y"
    client.close()
    # a login without the two algorithm characters, as some ILS configurations send it
    short = SipClient(port, error_detection=False)
    short.send_raw(f"93CNlend-desk|CO{PASSWORD}|CPmain|\r".encode())
    assert short.read_raw() == b"941\r"
    short.close()


def test_logins_are_checked_and_nothing_is_answered_before_one(fed, port):
    """Wrong password 940; patron questions before login get no verdict; 3 failures close."""
    client = SipClient(port)
    answer = client.patron_status("20001000000001")
    assert answer.valid_patron == "N" and answer.patron_status == DENIED
    assert "93 Login" in answer.screen_message[0]
    assert client.login("lend-desk", "wrong-password").ok == "0"
    assert client.login("nobody", PASSWORD).ok == "0"
    assert client.login("lend-desk", "wrong-again-1").ok == "0"
    assert client.read_raw() == b""  # closed after the third failure
    fed.client.delete("/api/v1/sip-accounts/lend-desk", headers=fed.headers("LEND"))
    revoked = SipClient(port)
    assert revoked.login("lend-desk", PASSWORD).ok == "0"
    revoked.close()
    with fed.app.app_context():
        assert db.session.execute(select(VerificationCount)).first() is None


def test_checksums_resend_unknown_messages_and_garbage(fed, port):
    """Bad checksum: 96; 97: the last answer again; unknown or garbage: 96; no crash."""
    client = SipClient(port)
    assert client.login("lend-desk", PASSWORD).ok == "1"
    body = f"23001{sip_now()}AOLEND|AA20001000000001|AY2AZ"
    client.send_raw((body + "0000\r").encode())  # a wrong checksum
    assert client.read_raw() == b"96\r"
    good = (body + checksum(body) + "\r").encode()
    client.send_raw(good)
    first = client.read_raw()
    assert first.startswith(b"24" + b" " * 14) and b"AY2AZ" in first
    client.send_raw(b"97\r")
    assert client.read_raw() == first
    for garbage in (b"\xff\xfe\x00\x01garbage", b"XYZ", b"01N20261202    101010AOLEND|",
                    b"\x16\x03\x01\x02\x00\x01\x00"):
        client.send_raw(garbage + b"\r")
        assert client.read_raw() == b"96\r", garbage
    checkout = f"11YN{sip_now()}{sip_now()}AOLEND|AA20001000000001|AB3913|AC|\r"
    client.send_raw(checkout.encode())
    assert codec.decode_message(client.read_raw()).message.ok == "0"
    assert client.patron_status("20001000000001").valid_patron == "Y"  # still serving
    client.send_raw(b"23" + b"9" * 5000)  # no terminator within SIP2_MAX_MESSAGE
    assert client.read_raw() == b""
    again = SipClient(port)
    assert again.login("lend-desk", PASSWORD).ok == "1"
    again.close()


def test_concurrent_connections_count_for_the_survey_like_verification(fed, port):
    """Five connections at once, each answered; R19 counts every one, as JSON would."""
    answers, errors = [], []

    def desk():
        try:
            client = SipClient(port)
            assert client.login("lend-desk", PASSWORD).ok == "1"
            answers.append(client.patron_status("20001000000001").valid_patron)
            client.close()
        except Exception as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=desk) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and answers == ["Y"] * 5
    fed.verify("LEND", "20001000000002")
    with fed.app.app_context():
        row = db.session.execute(select(VerificationCount)).scalar_one()
        assert (row.eligible, row.not_eligible, row.refer) == (5, 1, 0)


class TestRateLimit:
    """The verification rate limit, per SIP account."""

    @pytest.fixture
    def app_config(self):
        return {"SIP2_HASH_TIME_COST": 1, "SIP2_HASH_MEMORY_KIB": 1024,
                "VERIFY_RATE_LIMIT": 2, "RATELIMIT_ENABLED": True}

    def test_the_verification_rate_limit_holds_for_a_sip_account(self, fed, port):
        """Two a minute here: the third patron question is refused, with the reason in AF."""
        client = SipClient(port)
        assert client.login("lend-desk", PASSWORD).ok == "1"
        assert client.patron_status("20001000000001").valid_patron == "Y"
        assert client.patron_information("20001000000001").valid_patron == "Y"
        limited = client.patron_status("20001000000001")
        assert limited.valid_patron == "N" and limited.patron_status == DENIED
        assert "Too many" in limited.screen_message[0]
        client.close()


def bare_app(tmp_path, **config):
    """An app whose SIP server needs no database (nobody logs in)."""
    from app import create_app
    from tests.conftest import base_config

    return create_app(base_config(f"sqlite:///{tmp_path}/unused.db", **config))


def test_a_silent_connection_is_closed_after_the_idle_time_out(tmp_path):
    """SIP2_IDLE_TIMEOUT: the server hangs up on a client that sends nothing."""
    with sip_server(bare_app(tmp_path, SIP2_IDLE_TIMEOUT=0.3)) as bound:
        client = SipClient(bound)
        assert client.read_raw() == b""  # waits for the server's close, however long
        client.close()


def test_connections_beyond_the_cap_are_closed_at_once(tmp_path):
    """SIP2_MAX_CONNECTIONS: the third at once is closed; a slot freed is usable again."""
    with sip_server(bare_app(tmp_path, SIP2_MAX_CONNECTIONS=2)) as bound:
        first, second = SipClient(bound), SipClient(bound)
        third = SipClient(bound)
        assert third.read_raw() == b""
        first.send_raw(b"97\r")
        assert first.read_raw() == b"96\r"  # nothing to resend yet; first is being served
        second.send_raw(b"23" + b"9" * 5000)  # over the message limit: closed by the server
        assert second.read_raw() == b""
        fourth = SipClient(bound)
        fourth.send_raw(b"97\r")
        assert fourth.read_raw() == b"96\r"
        for client in (first, second, third, fourth):
            client.close()


def test_a_sip_request_shape_from_pysip2_encodes_as_our_parser_reads_it():
    """The parser reads pysip2's encoding of every request this door answers."""
    from app.sip2 import protocol

    message = pysip2.PatronInformationRequest(
        language="001", transaction_date=sip_now(), summary=" " * 10, institution_id="LEND",
        patron_identifier="20001000000001", terminal_password="t", patron_password="p")
    frame = codec.encode_message(message, sequence_number=4, checksum=True).decode()
    request = protocol.parse(frame)
    assert request.command == "63" and request.checksum_ok and request.sequence == "4"
    assert request.get("AA") == "20001000000001" and request.get("AO") == "LEND"


def test_tls_when_configured_and_plain_bytes_are_not_answered(tmp_path):
    """With a certificate the port speaks TLS only; a plain-text client gets no answer."""
    import ssl
    import subprocess

    from app.sip2.server import tls_context

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", "key.pem", "-out", "cert.pem"],
                   cwd=tmp_path, check=True, capture_output=True)
    context = tls_context(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    trust = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    with sip_server(bare_app(tmp_path), tls=context) as bound:
        client = SipClient(bound, tls=trust)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        client.send_raw(b"97\r")
        assert client.read_raw() == b"96\r"
        client.close()
        plain = SipClient(bound)
        plain.send_raw(b"9900302.00\r")
        assert plain.read_raw() == b""  # the handshake fails; the server closes
        plain.close()


def test_long_advice_is_split_into_several_screen_messages_not_cut():
    """AF is repeatable and 255 characters at most: long advice keeps its contact details."""
    from app.sip2.protocol import screen_messages

    advice = "Do not lend. " + "The home library has blocked this account. " * 8 + \
        "For questions, contact Zoë's Library at 555-0100."
    fields = screen_messages(advice)
    parts = [part[2:] for part in fields.split("|") if part]
    assert len(parts) == 2 and all(len(part) <= 255 for part in parts)
    assert " ".join(parts) == advice.replace("ë", "e").strip()
