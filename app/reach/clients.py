"""The one door out: every outbound call to a home system or a peer federation goes here.

Each call runs on a worker thread and is abandoned at its deadline, so a responder that
drips bytes, or hangs after connecting, costs the desk no more than the time budget: the
sockets also carry the same timeout, so an abandoned call ends on its own soon after. Tests
replace this object (`app.extensions["reciprocity.outbound"]`) or point it at real doubles.

Every connection goes through app/outbound.py, as webhook deliveries do: the host name is
resolved once per call, every address it resolves to is checked (no private, loopback,
link-local ... address, loopback only where REACH_ALLOW_LOOPBACK allows it), and the
connection is made to the checked address. A DNS answer that changes between a check and a
connection (rebinding) therefore cannot point a live check at the federation's own network.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import requests

from app import outbound
from app.reach import homejson, ncip, peerwire, sip2
from app.reach.answers import HomeAnswer, HomeSystemError
from app.webhooks.rules import UrlRefused

# The end of the sentence refusing an address (see app/outbound.py).
PUBLIC_ONLY = "home systems and peer federations are asked only at public addresses."

log = logging.getLogger(__name__)


class Outbound:
    """Protocol clients for home systems (NCIP, SIP2, JSON) and peers, with deadlines."""

    def __init__(self, workers: int = 16, *, allow_loopback: bool = False,
                 resolve: outbound.Resolver = outbound.resolve_host):
        """A pool of `workers` threads for calls in flight (per process); `resolve` answers a
        host's addresses, and loopback ones pass only when `allow_loopback`."""
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reach")
        self._local = threading.local()
        self.allow_loopback = allow_loopback
        self.resolve = resolve

    def _resolve(self, host: str, port: int) -> list[str]:
        """The current resolver's answer (read at each call: tests may swap the resolver)."""
        return self.resolve(host, port)

    def _session(self) -> requests.Session:
        """One HTTP session per worker thread (keep-alive; environment proxies ignored), each
        request pinned to the address its host was checked at."""
        session = getattr(self._local, "session", None)
        if session is None or session.allow_loopback != self.allow_loopback:
            session = requests.Session()
            session.trust_env = False  # a proxy would resolve the name itself, after our check
            adapter = outbound.PinnedAdapter(self._resolve, allow_loopback=self.allow_loopback,
                                             allowed_ports=None, note=PUBLIC_ONLY)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.allow_loopback = self.allow_loopback
            self._local.session = session
        return session

    def _connect(self, host: str, port: int, timeout: float):
        """A TCP connection (SIP2) to the checked address of `host`."""
        return outbound.connect(host, port, self._resolve, allow_loopback=self.allow_loopback,
                                timeout=timeout, note=PUBLIC_ONLY)

    def _within(self, timeout: float, error: type[Exception], call, *args):
        """Run `call` on a worker; raise `error` when it has not finished by `timeout`."""
        if timeout <= 0:
            raise error("No time was left in the budget to ask.")
        future = self._pool.submit(call, *args)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            raise error("It did not answer within the time budget.") from None
        except error:
            raise
        except UrlRefused as refusal:  # resolved to an address that is not public
            raise error(f"Its address was refused: {refusal}") from None
        except Exception as unexpected:
            # A desk still gets the registry's answer; the log and the circuit keep the cause.
            log.exception("Outbound call failed unexpectedly")
            raise error(f"Unexpected failure ({type(unexpected).__name__}).") from None

    def ask_home(self, protocol: str, address: str, credentials: dict, card: str,
                 surname: str | None, timeout: float) -> HomeAnswer:
        """Ask a home library's own system about a card (R14)."""
        def call():
            if protocol == "ncip":
                return ncip.lookup_user(self._session(), address, credentials, card, surname,
                                        timeout)
            if protocol == "sip2":
                return sip2.patron_status(address, credentials, card, surname, timeout,
                                          connect=self._connect)
            if protocol == "json":
                return homejson.check_card(self._session(), address, credentials, card,
                                           surname, timeout)
            raise HomeSystemError(f"Unknown protocol {protocol}.")

        return self._within(timeout, HomeSystemError, call)

    def forward(self, base_url: str, key: str, question: dict, hops: int,
                timeout: float) -> dict:
        """Forward a verification to a peer federation (R17)."""
        return self._within(timeout, peerwire.PeerError, lambda: peerwire.forward_verification(
            self._session(), base_url, key, question, hops, timeout))

    def peer_libraries(self, base_url: str, key: str, timeout: float) -> list[dict]:
        """A peer's libraries and card prefixes."""
        return list(peerwire.peer_libraries(self._session(), base_url, key, timeout))

    def peer_directory(self, base_url: str, timeout: float) -> list[dict]:
        """A peer's public directory entries."""
        return list(peerwire.peer_directory(self._session(), base_url, timeout))

    def directory_answer(self, base_url: str, code: str, term: str, timeout: float) -> dict:
        """A peer library's answer to "may I borrow this format here?"."""
        return self._within(timeout, peerwire.PeerError, lambda: peerwire.directory_answer(
            self._session(), base_url, code, term, timeout))
