"""Unit tests of census.domain.names."""

from __future__ import annotations

import pytest

from census.domain.names import NAME_DOT, normalize_name

MINORITY_NAME = "阿卜杜拉·艾力"

DOT_VARIANTS = [
    "\u00b7",  # MIDDLE DOT
    "\u2022",  # BULLET
    "\u2027",  # HYPHENATION POINT
    "\u2219",  # BULLET OPERATOR
    "\u22c5",  # DOT OPERATOR
    "\u30fb",  # KATAKANA MIDDLE DOT
    "\uff65",  # HALFWIDTH KATAKANA MIDDLE DOT
    "\u0387",  # GREEK ANO TELEIA
    "\u16eb",  # RUNIC SINGLE PUNCTUATION
    "\u2e31",  # WORD SEPARATOR MIDDLE DOT
    "\u2e33",  # RAISED DOT
    "\uff0e",  # FULLWIDTH FULL STOP
    ".",  # FULL STOP
    "\u2024",  # ONE DOT LEADER
    "\ufe52",  # SMALL FULL STOP
    "\u3002",  # IDEOGRAPHIC FULL STOP
    "\uff61",  # HALFWIDTH IDEOGRAPHIC FULL STOP
    "\ua78f",  # LATIN LETTER SINOLOGICAL DOT
    "\u1427",  # CANADIAN SYLLABICS FINAL MIDDLE DOT
    "\u2981",  # Z NOTATION SPOT
]


@pytest.mark.parametrize("dot", DOT_VARIANTS, ids=[f"U+{ord(dot):04X}" for dot in DOT_VARIANTS])
def test_normalize_maps_dot_variant_to_middle_dot(dot: str) -> None:
    assert normalize_name(f"阿卜杜拉{dot}艾力") == MINORITY_NAME


def test_normalize_result_uses_u00b7() -> None:
    assert NAME_DOT in normalize_name("阿卜杜拉•艾力")


def test_normalize_keeps_plain_han_name() -> None:
    assert normalize_name("张伟") == "张伟"


def test_normalize_strips_surrounding_spaces() -> None:
    assert normalize_name("  张伟 ") == "张伟"


def test_normalize_removes_inner_space() -> None:
    assert normalize_name("张 伟") == "张伟"


def test_normalize_removes_ideographic_space() -> None:
    assert normalize_name("张\u3000伟") == "张伟"


def test_normalize_removes_spaces_around_dot() -> None:
    assert normalize_name("阿卜杜拉 · 艾力") == MINORITY_NAME


def test_normalize_removes_tab_and_newline() -> None:
    assert normalize_name("张\t伟\n") == "张伟"


def test_normalize_removes_no_break_space() -> None:
    assert normalize_name("张\u00a0伟") == "张伟"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_normalize_removes_invisible_character(invisible: str) -> None:
    assert normalize_name(f"张{invisible}伟") == "张伟"


def test_normalize_maps_full_width_latin() -> None:
    assert normalize_name("ＡＢＣ") == "abc"


def test_normalize_case_folds_latin() -> None:
    assert normalize_name("Maria Schmidt") == normalize_name("MARIA SCHMIDT")


def test_normalize_case_folds_sharp_s() -> None:
    assert normalize_name("STRASSE") == normalize_name("straße")


def test_normalize_maps_compatibility_han() -> None:
    # U+F900 is a CJK compatibility ideograph whose normal form is U+8C48.
    assert normalize_name("\uf900") == "\u8c48"


def test_normalize_matches_full_width_dot_with_ascii_dot() -> None:
    assert normalize_name("买买提．吐尔逊") == normalize_name("买买提.吐尔逊")


def test_normalize_keeps_two_dot_names() -> None:
    assert normalize_name("爱新觉罗•溥仪•某") == "爱新觉罗·溥仪·某"


def test_normalize_distinguishes_different_names() -> None:
    assert normalize_name("张伟") != normalize_name("张玮")


def test_normalize_rejects_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        normalize_name("")


def test_normalize_rejects_only_spaces() -> None:
    with pytest.raises(ValueError, match="empty"):
        normalize_name(" \u3000\t")


def test_normalize_rejects_only_invisible_characters() -> None:
    with pytest.raises(ValueError, match="empty"):
        normalize_name("\u200b\ufeff")
