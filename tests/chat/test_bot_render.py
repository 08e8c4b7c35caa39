"""bot.render: Telegram HTML escaping, visible length, splitting at readable points, and coach replies;
every result is checked with the loopback Telegram server's HTML parser."""

from __future__ import annotations

import random
import re

import pytest

from bot.render import MAX_MESSAGE, coach_html, escape, split_html
from tests.loopback.telegram_server import parse_telegram_html, utf16_length


def _plain(html: str) -> str:
    """The text Telegram shows for `html`, which must be valid."""
    return parse_telegram_html(html)


def _check_chunks(html: str, chunks: list[str], limit: int) -> None:
    """Each chunk is valid, non-empty and fits; together they show the original text, up to whitespace."""
    assert chunks
    for chunk in chunks:
        assert _plain(chunk).strip()
        assert utf16_length(_plain(chunk)) <= limit
    assert re.sub(r"\s+", "", "".join(_plain(chunk) for chunk in chunks)) == re.sub(r"\s+", "", _plain(html))


def _paragraph(number: int, length: int) -> str:
    sentences = []
    while len(" ".join(sentences)) < length:
        sentences.append(f"Paragraph {number}, sentence {len(sentences) + 1}: keep the wake time steady.")
    return " ".join(sentences)


def test_escape() -> None:
    assert escape('<b> & "x"') == '&lt;b&gt; &amp; "x"'


def test_a_long_reply_splits_in_two_at_a_paragraph_inside_a_span() -> None:
    paragraphs = [escape(_paragraph(number, 950)) for number in range(1, 7)]
    paragraphs[0] = paragraphs[0].replace("keep", "<b>keep</b>", 1)
    paragraphs[1] = f"<i>{paragraphs[1]}</i>"
    paragraphs[3] += " <i>This aside starts in paragraph four"  # crosses the cut after paragraph four
    paragraphs[4] = f"and ends in paragraph five.</i> {paragraphs[4]}"
    html = "\n\n".join(paragraphs)
    assert 5800 <= utf16_length(_plain(html)) <= 6200

    chunks = split_html(html)

    assert len(chunks) == 2
    _check_chunks(html, chunks, MAX_MESSAGE)
    first, second = map(_plain, chunks)
    assert first + "\n\n" + second == _plain(html)
    assert first.endswith("This aside starts in paragraph four")  # the last paragraph break that fits
    assert chunks[0].endswith("paragraph four</i>")
    assert chunks[1].startswith("<i>and ends in paragraph five.</i>")


@pytest.mark.parametrize(
    ("html", "limit", "expected"),
    [
        ("One line\nTwo line\n\nThree", 17, ["One line\nTwo line", "Three"]),
        ("One line\nTwo line three", 17, ["One line", "Two line three"]),
        ("First one. Second one two", 17, ["First one.", "Second one two"]),
        ("Alpha beta gamma delta", 17, ["Alpha beta gamma", "delta"]),
        ("Alphabetagammadelta", 17, ["Alphabetagammadel", "ta"]),
    ],
)
def test_split_prefers_paragraph_line_sentence_space_then_hard(html: str, limit: int, expected: list[str]) -> None:
    assert split_html(html, limit) == expected


def test_chinese_without_spaces_splits_after_a_sentence_end() -> None:
    html = "我每天晚上十一点睡觉，早上七点起床。" * 300  # 5,400 characters, no spaces or newlines

    chunks = split_html(html)

    assert len(chunks) == 2
    _check_chunks(html, chunks, MAX_MESSAGE)
    assert all(chunk.endswith("。") for chunk in chunks)
    assert "".join(chunks) == html


def test_a_single_huge_word_is_hard_cut() -> None:
    html = "<b>" + "z" * 10_000 + "</b>"

    chunks = split_html(html)

    assert len(chunks) == 3
    _check_chunks(html, chunks, MAX_MESSAGE)
    assert [utf16_length(_plain(chunk)) for chunk in chunks] == [4096, 4096, 1808]
    assert all(chunk.startswith("<b>") and chunk.endswith("</b>") for chunk in chunks)


def test_entities_are_never_broken() -> None:
    html = "a" * 4095 + "&amp;" * 10  # a cut after 4,096 source characters would leave "&"
    chunks = split_html(html)
    _check_chunks(html, chunks, MAX_MESSAGE)
    assert chunks == ["a" * 4095 + "&amp;", "&amp;" * 9]


def test_emoji_are_never_broken() -> None:
    html = "a" * 4095 + "😀" * 10  # a cut after 4,096 UTF-16 code units would split the first emoji
    chunks = split_html(html)
    _check_chunks(html, chunks, MAX_MESSAGE)
    assert chunks == ["a" * 4095, "😀" * 10]
    assert split_html("😀" * 10, 5) == ["😀😀"] * 5


def test_tags_open_at_a_cut_are_reopened_with_their_attributes() -> None:
    html = (
        '<a href="https://example.com/?a=1&amp;b=2">read <b>this guide</b> now</a> '
        '<span class="tg-spoiler">hidden <i>text</i> here</span>'
    )
    chunks = split_html(html, 12)
    _check_chunks(html, chunks, 12)
    assert chunks == [
        '<a href="https://example.com/?a=1&amp;b=2">read <b>this</b></a>',
        '<a href="https://example.com/?a=1&amp;b=2"><b>guide</b> now</a>',
        '<span class="tg-spoiler">hidden <i>text</i></span>',
        '<span class="tg-spoiler">here</span>',
    ]


def test_text_that_fits_is_returned_unchanged_and_blank_text_gives_nothing() -> None:
    assert split_html("  <b>short</b>\n") == ["  <b>short</b>\n"]
    assert split_html("") == []
    assert split_html(" \n <b> </b>\n") == []
    assert split_html("<i>x</i>" + " " * 5000) == ["<i>x</i>"]


def test_random_html_always_splits_into_valid_chunks() -> None:
    pieces = ["word", "Sentence.", "句子。", " ", "\n", "\n\n", "&amp;", "&lt;", "😀", "é", "x" * 30]
    tags = ["b", "i", "u", "s", "code"]
    generator = random.Random(7)
    for _ in range(300):
        parts: list[str] = []
        for _ in range(generator.randint(1, 40)):
            if generator.random() < 0.2:
                tag = generator.choice(tags)
                inner = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 6)))
                parts.append(f"<{tag}>{inner}</{tag}>")
            else:
                parts.append(generator.choice(pieces))
        html = "".join(parts)
        limit = generator.randint(2, 60)
        chunks = split_html(html, limit)
        if _plain(html).strip():
            _check_chunks(html, chunks, limit)
        else:
            assert chunks == []


def test_coach_html_escapes_and_formats() -> None:
    text = (
        "Tonight, aim for bed by 23:00 <script>alert(1)</script> a & b.\n"
        "1. Keep a fixed wake time: the same every day, **even on weekends**.\n"
        "2. This step. Has a sentence end: so it stays plain.\n"
        "3. **Already bold**: stays one bold span."
    )
    html = coach_html(text, title="Your night", sources=["Walker 2017", "AASM", "Walker 2017"])
    plain = _plain(html)

    assert html.startswith("<b>Your night</b>\n")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a &amp; b." in html
    assert "<script>alert(1)</script> a & b." in plain
    assert "1. <b>Keep a fixed wake time</b>: the same every day, <b>even on weekends</b>." in html
    assert "2. This step. Has a sentence end: so it stays plain." in html
    assert "3. <b>Already bold</b>: stays one bold span." in html
    assert html.endswith("<b>Already bold</b>: stays one bold span.\n\n<i>Sources: Walker 2017; AASM</i>")


def test_coach_html_sources_label_and_plain_text() -> None:
    assert coach_html("Sleep well.") == "Sleep well."
    assert coach_html("Gut.", sources=["R&D", "R&D"], sources_label="Quellen") == "Gut.\n\n<i>Quellen: R&amp;D</i>"


@pytest.mark.parametrize(
    "hostile",
    ["**<b>**", "***", "****", "*****", "**a**b**", "** x **", "**\n**", "<b>**</i>**", "1. **: x", "1. <b>: x",
     "1. " + "h" * 70 + ": long", "&amp; **&lt;** &", "**😀**", "1.  : x", "</b></i>**"],
)
def test_coach_html_stays_valid_for_hostile_markdown(hostile: str) -> None:
    shown = _plain(coach_html(hostile, title="<i>", sources=["<b>"]))
    assert re.sub(r"[\s*]", "", shown) == re.sub(r"[\s*]", "", f"<i>{hostile}Sources: <b>")


def test_coach_html_random_markdown_is_always_valid() -> None:
    alphabet = ["*", "**", "<", ">", "&", "b", "1", "1. ", ".", ":", " ", "\n", "</b>", "😀", "x"]
    generator = random.Random(11)
    for _ in range(500):
        text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 30)))
        _plain(coach_html(text, title=generator.choice([None, "T", "<b>"])))
