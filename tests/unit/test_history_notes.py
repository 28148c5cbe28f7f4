"""Unit tests of the note rules of census.services.history."""

from __future__ import annotations

import pytest

from census.errors import InvalidBody
from census.services.history import NOTE_MAX_LENGTH, clean_note, note_problem


def test_note_plain_chinese_text_valid():
    assert note_problem("白天无人，晚上八点后再来。邻居说住着一对老人") is None


def test_note_line_feed_allowed():
    assert note_problem("第一次：无人\n第二次：有人") is None


def test_note_markup_kept_as_plain_text():
    note = "<script>alert(1)</script> & <b>"
    assert note_problem(note) is None
    assert clean_note(note) == note


def test_note_at_max_length_valid():
    assert note_problem("户" * NOTE_MAX_LENGTH) is None


def test_note_over_max_length_too_long():
    assert note_problem("户" * (NOTE_MAX_LENGTH + 1)) == "too_long"


@pytest.mark.parametrize(
    "note",
    [
        "bell\x07",
        "nul\x00",
        "carriage\rreturn",
        "tab\there",
        "escape\x1b[31m",
        "delete\x7f",
        "c1\x85control",
        "bidi\u202eoverride",
        "isolate\u2066x\u2069",
        "private\ue000use",
    ],
)
def test_note_control_character_rejected(note):
    assert note_problem(note) == "control_character"


def test_clean_note_strips_and_normalizes():
    # "e" followed by a combining acute accent becomes the precomposed "é".
    assert clean_note("  cafe\u0301  ") == "caf\u00e9"


def test_clean_note_raises_invalid_body_with_field():
    with pytest.raises(InvalidBody) as raised:
        clean_note("x\x00")
    assert raised.value.details() == {"field": "note", "problem": "control_character"}


def test_clean_note_too_long_names_problem():
    with pytest.raises(InvalidBody) as raised:
        clean_note("a" * (NOTE_MAX_LENGTH + 1))
    assert raised.value.details()["problem"] == "too_long"
