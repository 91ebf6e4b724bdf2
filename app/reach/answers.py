"""What a home library's own system said about a card, in the rules' terms (R2, R14)."""

from dataclasses import dataclass
from datetime import date


class HomeSystemError(Exception):
    """The home system could not be asked, did not answer in time, or answered nonsense.

    The message is shown to the home library and the office as the circuit's last error: it
    never carries a card number or a name (R16).
    """


@dataclass(frozen=True)
class HomeAnswer:
    """A live answer: is the card known, is the account in good standing, until when."""

    found: bool
    standing: str | None = None  # good | blocked
    expires_on: date | None = None  # None: the system does not say (SIP2 Patron Status)
    identity: str = "not_checked"  # matched | mismatched | not_checked
    said: tuple[str, ...] = ()  # what the system flagged, as stable codes


def surname_matches(given: str, on_file: str) -> bool:
    """Whether a surname given at the desk matches the name the home system holds.

    Compared case- and space-insensitively, as a whole word of the held name (SIP2 sends
    "Surname, Given" in one field).
    """
    def words(text: str) -> list[str]:
        return "".join(c if c.isalnum() else " " for c in text.casefold()).split()

    wanted = " ".join(words(given))
    held = words(on_file)
    if not wanted or not held:
        return False
    return any(" ".join(held[i:i + len(wanted.split())]) == wanted for i in range(len(held)))
