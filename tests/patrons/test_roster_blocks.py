"""A UTF-8 roster file read in blocks (app/patrons/roster_fast.py) gives exactly what reading it
line by line gives: the same values, the same errors with the same line numbers and messages."""

import io
import random

import pytest

from app.patrons import roster, roster_fast

HEADER = "card_number,expires_on,standing,block_reasons,category,surname,external_ref"

# Lines the block reader decides itself and lines it must hand to the line-by-line path.
LINES = [
    "2000100000001,2027-06-30,good,,adult,Smith,ext-1",
    "2000100000002,2027-02-30,good,,adult,Smith,ext-2",  # no such date
    "2000100000003,2027-06-30,blocked,fines;lost_items,juvenile,O'Brien-Smith,x",
    "2000100000004,2027-06-30,good,fines,adult,Jones,",  # reasons without a block
    "20001-0000-0005,2027-06-30,good,,adult,Núñez,e",  # dashes, accents
    "2000100000006,2027-6-30,good,,adult,A,",  # not an ISO date
    "2000100000007 ,2027-06-30,good,,, ,",  # spaces around fields
    "2000100000008,2027-06-30,,,,...,",  # a surname that folds to nothing
    "2000100000009,2027-06-30,,fines,,Doe,",  # reasons, standing left as it is
    "2000100000010,0000-01-01,good,,,Doe,",
    "2000100000011,2024-02-29,bad,,,Doe,",  # unknown standing
    "2000100000012,2024-02-29,good,,,Doe\x01,",  # a control character
    "2000100000013,2024-02-29,good,,," + "x" * 101 + ",",  # too long a surname
    "2000100000014,2024-02-29,good,,,  Mc Donald  ,  ref  ",
    "",
    "   ",
    "a,b",  # too few fields
    '2000100000015,2024-02-29,good,,,"Quoted, Name",',  # CSV quoting
    "2000100000016,2024-02-29,good,,,Doe,\x00",  # a NUL
    "x" * 5000,  # longer than a line may be
    "ÿ,2027-06-30,good,,,,",
    "2000100000017,2027-06-30,good,FINES,,,",
    ",2027-06-30,good,,,,",  # no card
    "2000100000018,,good,,,,",  # no date
    "2000100000019,2027-06-30,blocked,,,,",
    "2000100000020,2027-06-30,good,,a\tb,,",  # a tab
]


def line_by_line(data: bytes) -> list:
    """The roster read with the line-by-line path only."""
    stream = io.BufferedReader(io.BytesIO(data))
    stream.seekable = lambda: False  # a stream that is not a file never goes in blocks
    return list(roster.read_csv(stream, "utf-8"))


def in_blocks(data: bytes) -> list:
    """The roster read as a file: in blocks."""
    return list(roster.read_csv(io.BytesIO(data), "utf-8"))


@pytest.mark.parametrize("block", [roster_fast.BLOCK, 200, 64])
def test_blocks_read_every_roster_as_lines_do(monkeypatch, block):
    """Random rosters of the lines above, with LF or CRLF line ends, a final line end or
    none, the odd undecodable byte, and blocks that split lines anywhere."""
    monkeypatch.setattr(roster_fast, "BLOCK", block)
    rng = random.Random(20261202 + block)
    for _ in range(150):
        end = rng.choice(["\n", "\r\n"])
        body = end.join(rng.choice(LINES) for _ in range(rng.randrange(1, 40)))
        data = (HEADER + end + body + rng.choice(["", end])).encode("utf-8")
        if rng.random() < 0.1:
            data = data.replace(b"Smith", b"Sm\xffith")
        assert in_blocks(data) == line_by_line(data), data


def test_a_block_of_usual_lines_is_decided_without_the_line_by_line_path(monkeypatch):
    """The usual roster never reaches the line-by-line parse (that is where the time went)."""
    lines = [f"20001{n:08d},2030-01-31,good,,adult,Surname{n},ext-{n}" for n in range(500)]
    data = ("\n".join([HEADER, *lines]) + "\n").encode()
    calls = []
    original = roster._csv_record
    monkeypatch.setattr(roster, "_csv_record",
                        lambda *args: calls.append(args) or original(*args))
    parsed = in_blocks(data)
    assert calls == []
    assert parsed == line_by_line(data)
    assert parsed[0] == (2, {"card": "2000100000000", "expires_on": parsed[0][1]["expires_on"],
                             "standing": "good", "block_reasons": [], "category": "adult",
                             "surname": "surname0", "external_ref": "ext-0"}, None)
