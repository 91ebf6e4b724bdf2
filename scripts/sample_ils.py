"""A sample home library ILS for trying the live path locally, and for the tests: an NCIP
responder, a SIP2 server and the SDK's signed JSON receiver, each with its ways of going wrong.

Run `python scripts/sample_ils.py [HTTP_PORT SIP2_PORT]` (0 or nothing: free ports); it prints
`<http port> <sip2 port>` and serves on 127.0.0.1 until killed. HTTP paths pick the
behaviour: `/ncip/<mode>` and `/json/<mode>` with mode `ok`, `slow-<ms>`, `fail` (HTTP 500),
`garbage`, `hang` (never answers), or `switch` (fails while `POST /control/switch?fail=1`,
answers after `?fail=0`); `/badpeer/<mode>/...` is a peer federation that hangs or garbles.
SIP2 picks it by the institution id (AO): `OK`, `SLOW-<ms>`, `GARBAGE`, `HANG`; a login
password other than `sip-secret` is refused. `GET /control/hits` counts questions per path;
`POST /control/json-secret` sets the JSON receiver's secret. The patrons are below; every
other card is unknown.
"""

import json
import os
import socketserver
import sys
import threading
import time
from collections import Counter
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from federation.home_system import HomeCheckReceiver, HomePatron

# card -> (surname, standing, valid to)
PATRONS = {
    "30001000000001": ("Lindqvist", "good", date(2099, 12, 31)),
    "30001000000002": ("Okafor", "blocked", date(2099, 12, 31)),
    "30001000000003": ("Moreau", "good", date(2020, 1, 31)),
}
NS = "http://www.niso.org/2008/ncip"
HITS: Counter = Counter()
STATE = {"secret": None, "fail": True}
LOCK = threading.Lock()


def ncip_answer(body: bytes) -> bytes:
    """A LookupUserResponse (or an Unknown User problem) for the card in the request."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(body)
    card = root.findtext(f".//{{{NS}}}AuthenticationInputData")
    header = root.find(f".//{{{NS}}}InitiationHeader")
    assert header is not None and header.findtext(f".//{{{NS}}}ToAgencyId/{{{NS}}}AgencyId")
    if card not in PATRONS:
        inner = ("<ns1:Problem><ns1:ProblemType>Unknown User</ns1:ProblemType>"
                 "<ns1:ProblemDetail>No such user</ns1:ProblemDetail></ns1:Problem>")
    else:
        surname, standing, valid_to = PATRONS[card]
        block = ("<ns1:BlockOrTrap><ns1:AgencyId>HOME</ns1:AgencyId>"
                 "<ns1:BlockOrTrapType>Block Check Out</ns1:BlockOrTrapType></ns1:BlockOrTrap>"
                 if standing == "blocked" else "")
        inner = ("<ns1:UserId><ns1:UserIdentifierValue>u-1</ns1:UserIdentifierValue>"
                 "</ns1:UserId><ns1:UserOptionalFields><ns1:NameInformation>"
                 "<ns1:PersonalNameInformation><ns1:StructuredPersonalUserName>"
                 f"<ns1:GivenName>Ada</ns1:GivenName><ns1:Surname>{surname}</ns1:Surname>"
                 "</ns1:StructuredPersonalUserName></ns1:PersonalNameInformation>"
                 "</ns1:NameInformation><ns1:UserPrivilege><ns1:AgencyId>HOME</ns1:AgencyId>"
                 "<ns1:AgencyUserPrivilegeType>Adult</ns1:AgencyUserPrivilegeType>"
                 f"<ns1:ValidToDate>{valid_to.isoformat()}T23:59:59Z</ns1:ValidToDate>"
                 f"</ns1:UserPrivilege>{block}</ns1:UserOptionalFields>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><ns1:NCIPMessage xmlns:ns1="{NS}" '
            f'ns1:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">'
            f"<ns1:LookupUserResponse>{inner}</ns1:LookupUserResponse></ns1:NCIPMessage>"
            ).encode()


def lookup(card: str) -> HomePatron | None:
    """The JSON receiver's view of the same patrons."""
    if card not in PATRONS:
        return None
    surname, standing, valid_to = PATRONS[card]
    return HomePatron(standing=standing, expires_on=valid_to, surname=surname)


class Http(BaseHTTPRequestHandler):
    """NCIP and JSON, by path."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/control/hits"):
            with LOCK:
                return self._send(200, json.dumps(dict(HITS)).encode())
        self._send(404, b"{}")

    def do_POST(self):
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if parts.path == "/control/json-secret":
            STATE["secret"] = json.loads(body)["secret"]
            return self._send(200, b"{}")
        if parts.path == "/control/switch":
            STATE["fail"] = parse_qs(parts.query).get("fail") == ["1"]
            return self._send(200, b"{}")
        if parts.path == "/control/reset":
            with LOCK:
                HITS.clear()
            return self._send(200, b"{}")
        with LOCK:
            HITS[parts.path] += 1
        kind, _, mode = parts.path.strip("/").partition("/")
        if kind == "badpeer":  # a peer federation that hangs or talks nonsense
            mode = mode.split("/")[0]
        if mode == "hang":
            time.sleep(120)
            return None
        if mode.startswith("slow-"):
            time.sleep(int(mode[5:]) / 1000)
        if mode == "fail" or (mode == "switch" and STATE["fail"]):
            return self._send(500, b"Internal error")
        if mode == "garbage":
            return self._send(200, b"\x00\xffnot <xml> nor {json}", "application/xml")
        if kind == "ncip":
            return self._send(200, ncip_answer(body), "application/xml")
        if kind == "json":
            status, payload = HomeCheckReceiver(STATE["secret"], lookup).answer(
                body, dict(self.headers))
            return self._send(status, json.dumps(payload).encode())
        return self._send(404, b"{}")


def checksum(message: str) -> str:
    return "%04X" % (-sum(message.encode("latin-1")) & 0xFFFF)


def sip_reply(body: str, sequence: str) -> bytes:
    message = f"{body}AY{sequence}AZ"
    return (message + checksum(message) + "\r").encode("latin-1")


class Sip(socketserver.StreamRequestHandler):
    """SIP2: 93 login and 23 patron status."""

    def handle(self):
        logged_in = False
        while True:
            line = bytearray()
            while not line.endswith(b"\r"):  # SIP2 messages end with a carriage return
                byte = self.rfile.read(1)
                if not byte:
                    return
                line += byte
            text = line.decode("latin-1").strip("\r\n")
            sequence = text[text.rfind("AY") + 2] if "AY" in text else "0"
            if text.startswith("93"):
                logged_in = "COsip-secret" in text
                self.wfile.write(sip_reply("94" + ("1" if logged_in else "0"), sequence))
                continue
            if not text.startswith("23") or not logged_in:
                self.wfile.write(sip_reply("96", sequence))
                continue
            stamp_end = 2 + 3 + 18
            values = {p[:2]: p[2:] for p in text[stamp_end:].split("|") if len(p) >= 2}
            mode = values.get("AO", "OK")
            with LOCK:
                HITS[f"/sip2/{mode.lower()}"] += 1
            if mode == "HANG":
                time.sleep(120)
                return
            if mode.startswith("SLOW-"):
                time.sleep(int(mode[5:]) / 1000)
            if mode == "GARBAGE":
                self.wfile.write(b"24XXXX garbage\r")
                continue
            card = values.get("AA", "")
            flags = [" "] * 14
            patron = PATRONS.get(card)
            if patron and (patron[1] == "blocked" or patron[2] < date.today()):
                flags[0] = "Y"
            name = f"{patron[0]}, Ada" if patron else ""
            reply = ("24" + "".join(flags) + "001" + time.strftime("%Y%m%d    %H%M%S")
                     + f"AO{mode}|AA{card}|AE{name}|BL{'Y' if patron else 'N'}|")
            self.wfile.write(sip_reply(reply, sequence))


class SipServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ports = [int(p) for p in sys.argv[1:3]] or [0, 0]
    http = ThreadingHTTPServer(("127.0.0.1", ports[0]), Http)
    http.daemon_threads = True
    sip = SipServer(("127.0.0.1", ports[1]), Sip)
    for server in (http, sip):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(http.server_port, sip.server_address[1], flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
