"""Name normalisation for comparing the name a person enters with the roster.

Names of many minority people have parts separated by a middle dot
(阿卜杜拉·艾力). Keyboards, input methods and older systems write that dot as
any of a dozen look-alike characters, and people add or drop spaces around it,
so names are compared only after `normalize_name`.
"""

from __future__ import annotations

import unicodedata

NAME_DOT = "\u00b7"  # MIDDLE DOT, the separator of GB 18030 and of the census systems

# Characters written in place of the middle dot, as they are after NFKC. NFKC already
# turns U+0387 into U+00B7, U+FF65 into U+30FB, U+FF61 into U+3002, and U+FF0E, U+2024
# and U+FE52 into ".", so those need no entry of their own.
_DOT_VARIANTS = (
    "."  # FULL STOP, from ASCII keyboards
    "\u16eb"  # RUNIC SINGLE PUNCTUATION
    "\u1427"  # CANADIAN SYLLABICS FINAL MIDDLE DOT
    "\u2022"  # BULLET
    "\u2027"  # HYPHENATION POINT
    "\u2219"  # BULLET OPERATOR
    "\u22c5"  # DOT OPERATOR
    "\u2981"  # Z NOTATION SPOT
    "\u2e31"  # WORD SEPARATOR MIDDLE DOT
    "\u2e33"  # RAISED DOT
    "\u3002"  # IDEOGRAPHIC FULL STOP, what "." gives in a Chinese input method
    "\u30fb"  # KATAKANA MIDDLE DOT, from Japanese fonts and input methods
    "\ua78f"  # LATIN LETTER SINOLOGICAL DOT
)
_TO_NAME_DOT = dict.fromkeys(map(ord, _DOT_VARIANTS), NAME_DOT)


def _is_dropped(char: str) -> bool:
    # Whitespace, and the format (Cf) and control (Cc) characters, which include the
    # zero-width space and joiners, the word joiner, the BOM and the soft hyphen.
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc")


def normalize_name(raw: str) -> str:
    """Return the form of a name used for comparison.

    The steps are NFKC (full-width and compatibility forms to their plain form),
    removal of whitespace and invisible characters, every middle-dot variant to
    U+00B7, and case folding. Chinese characters have no case, so case folding
    changes only Latin and other cased letters.
    Raises ValueError when nothing is left.
    """
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(char for char in text if not _is_dropped(char))
    text = text.translate(_TO_NAME_DOT).casefold()
    # Case folding can leave text that is not in NFKC form: U+01F0 folds to "j" and U+030C.
    text = unicodedata.normalize("NFKC", text)
    if not text:
        raise ValueError("the name is empty")
    return text
