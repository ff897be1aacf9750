"""Text as the search index sees it: one normal form for Persian and English, on every database.

SQLite's FTS5 and PostgreSQL's full-text parser split and fold text differently, and neither knows
that Arabic and Persian keyboards type the same letter two ways (ي/ی, ك/ک), that a zero-width
non-joiner sits inside Persian words (می‌خواهم), or that digits come in three scripts. So the text is
brought to one form here, in Python, before it is stored and before a query is built: both
databases then see plain words separated by spaces and find the same articles.
"""

from __future__ import annotations

import re
import unicodedata

# Letters typed differently on Arabic and Persian keyboards, and forms that carry no meaning in a search.
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "\u0640": None,  # tatweel, the stretching stroke
        "\u200c": " ",  # zero-width non-joiner: the parts of a word are searched as words
        "\u200d": None,
    }
)
_NOT_A_WORD = re.compile(r"[^\w]+|_")
_JOINED_WORD = re.compile(r"\w+(?:\u200c\w+)+")

# Words too common to tell articles apart; leaving them out of a query keeps "How do I reset my
# password?" about resetting a password.
_STOP_WORDS = """
    a an and are as at be but by can could do does did for from had has have how i if in is it its
    me my no not of on or our so that the their them then there these they this to was we were what
    when where which who why will with would you your t s don cant
    و در به از که این آن را با است برای یک من تو ما شما او می هم تا چه چرا چطور چگونه کجا یا اگر
    هست بود شد شده کنم کنید کرد کردم باید نمی ای ها های
"""
QUERY_WORDS_MAX = 8
PREFIX_FROM = 3  # a query word this long also finds longer words: "pass" finds "password"


def normalise(text: str) -> str:
    """``text`` in the index's form: folded case, one spelling per letter, Latin digits, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_LETTERS).casefold()
    if not text.isascii():
        # Accents and Arabic vowel marks go; other scripts' digits become Latin ones.
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize(
            "NFC", "".join(_digit(char) for char in decomposed if not unicodedata.combining(char))
        )
    return " ".join(_NOT_A_WORD.sub(" ", text).split())


def index_text(text: str) -> str:
    """``text`` as stored for search: normalised, with each word typed with a non-joiner also written whole.

    People type "می‌خواهم" with the non-joiner, with a space, or run together; the parts and the
    whole word are both in the index, so each spelling finds the article.
    """
    whole_words = " ".join(word.replace("\u200c", "") for word in _JOINED_WORD.findall(text))
    return normalise(f"{text} {whole_words}")


def query_words(term: str) -> list[str]:
    """The words of what someone typed that are worth searching for, at most ``QUERY_WORDS_MAX``."""
    words: list[str] = []
    for word in normalise(term).split():
        if word not in STOP_WORDS and word not in words and (len(word) > 1 or word.isdigit()):
            words.append(word)
    return words[:QUERY_WORDS_MAX]


def _digit(char: str) -> str:
    if char.isdigit() and not char.isascii():
        return str(unicodedata.digit(char, 0))
    return char


STOP_WORDS = frozenset(normalise(word) for word in _STOP_WORDS.split())
