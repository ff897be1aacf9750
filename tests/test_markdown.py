"""Messages' Markdown: the same safe HTML whether the message is short enough to be kept or not."""

from __future__ import annotations

from portal.markdown import KEPT_UP_TO, render_markdown

HOSTILE = '[click](javascript:alert(1)) <img src=x onerror="alert(2)"> [ok](https://example.com) **done**'


def _is_safe(html: str) -> bool:
    return 'href="javascript:' not in html and "<img" not in html


def test_a_kept_message_and_a_long_one_follow_the_same_rules() -> None:
    long_text = HOSTILE + "\n\n" + "word " * (KEPT_UP_TO // 5 + 1)
    assert len(long_text) > KEPT_UP_TO
    short, long = render_markdown(HOSTILE), render_markdown(long_text)
    for html in (short, long):
        assert _is_safe(html)
        assert '<a href="https://example.com" rel="nofollow noopener noreferrer">ok</a>' in html
        assert "<strong>done</strong>" in html
    assert long.startswith(short)


def test_each_text_gets_its_own_html_however_often_it_is_asked() -> None:
    texts = [f"Reply **{number}**" for number in range(5)]
    first = [render_markdown(text) for text in texts]
    again = [render_markdown(text) for text in reversed(texts)]
    assert first == list(reversed(again))
    assert first[3] == "<p>Reply <strong>3</strong></p>\n"
