"""Telegram HTML for the bot's replies: escaping, visible length, splitting long messages at readable
points without breaking tags, entities or emoji, and the HTML of a coach reply.

Telegram counts its limits (MAX_MESSAGE, MAX_CAPTION) in UTF-16 code units of the text it shows, after
tags are removed and entities decoded; everything here measures that way.
"""

from __future__ import annotations

import html as _html
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

MAX_MESSAGE = 4096
MAX_CAPTION = 1024

# A tag (attribute values may be quoted and hold '>'), one of the entities Telegram decodes, or one character.
_TAG_OR_ENTITY = (r"""<(?P<close>/?)(?P<name>[A-Za-z][\w-]*)(?:[^>"']|"[^"]*"|'[^']*')*>"""
                  r"|(?P<entity>&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_TOKEN = re.compile(_TAG_OR_ENTITY + r"|.", re.DOTALL)
_HIDDEN = re.compile(_TAG_OR_ENTITY)
_NAMED_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}

# Cut points, best first; a lower rank wins over a later position.
_PARAGRAPH, _LINE, _SENTENCE, _SPACE, _HARD = range(5)
_SENTENCE_ENDS = frozenset(".!?。！？")
_CJK_SENTENCE_ENDS = frozenset("。！？")

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STEP_HEADING = re.compile(r"^(?P<number>\s*\d{1,3}\.\s+)(?P<heading>[^\s:：][^:：]*?)(?P<colon>:(?=\s|$)|：)")
_HEADING_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|[。！？]")
_MAX_HEADING = 60


@dataclass(frozen=True, slots=True)
class _Tag:
    source: str
    name: str
    closing: bool


@dataclass(frozen=True, slots=True)
class _Unit:
    """One visible character: its source (the character or an entity) and what Telegram shows."""

    source: str
    text: str

    @property
    def utf16(self) -> int:
        return 2 if ord(self.text) > 0xFFFF else 1


def escape(text: str) -> str:
    """Text made safe to put inside Telegram HTML."""
    return _html.escape(text, quote=False)


def _decode_entity(entity: str) -> str | None:
    if entity in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[entity]
    digits = entity[2:-1]
    code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
    return chr(code) if 0 < code <= 0x10FFFF else None


def _shown_text(html: str) -> str:
    """The text Telegram shows for `html`: tags dropped, entities decoded."""
    def decoded(match: re.Match) -> str:
        if match.group("name"):
            return ""
        return _decode_entity(match.group()) or match.group()

    return _HIDDEN.sub(decoded, html)


def _tokenize(html: str) -> list[_Tag | _Unit]:
    tokens: list[_Tag | _Unit] = []
    for match in _TOKEN.finditer(html):
        source = match.group()
        if match.group("name"):
            tokens.append(_Tag(source, match.group("name").lower(), bool(match.group("close"))))
        elif match.group("entity") and (decoded := _decode_entity(source)) is not None:
            tokens.append(_Unit(source, decoded))
        else:  # a plain character, or a numeric entity naming no character: shown as written
            tokens.extend(_Unit(char, char) for char in source)
    return tokens


def _apply(stack: list[_Tag], tag: _Tag) -> None:
    """Open or close `tag` on the stack of open tags."""
    if not tag.closing:
        stack.append(tag)
        return
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].name == tag.name:
            del stack[index]
            return


def _cut_ranks(texts: list[str]) -> list[int]:
    """For each visible character, how good a cut right after it is."""
    ranks = [_HARD] * len(texts)
    index = 0
    while index < len(texts):
        if not texts[index].isspace():
            if texts[index] in _CJK_SENTENCE_ENDS:
                ranks[index] = _SENTENCE
            index += 1
            continue
        run_start = index
        while index < len(texts) and texts[index].isspace():
            index += 1
        if run_start > 0:
            newlines = "".join(texts[run_start:index]).count("\n")
            if newlines >= 2:
                ranks[run_start - 1] = _PARAGRAPH
            elif newlines:
                ranks[run_start - 1] = _LINE
            elif texts[run_start - 1] in _SENTENCE_ENDS:
                ranks[run_start - 1] = _SENTENCE
            else:
                ranks[run_start - 1] = _SPACE
    return ranks


def split_html(html: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Valid Telegram-HTML chunks of `html`, each showing at most `limit` UTF-16 code units.

    Cuts at the last paragraph break that fits, else the last line break, sentence end, space, and only
    then mid-word. Whitespace at a cut is dropped; tags open at a cut are closed and reopened around it.
    """
    if limit < 2:
        raise ValueError("limit must hold at least one character (2 UTF-16 code units)")
    text = _shown_text(html)
    if not text or text.isspace():
        return []
    if len(text.encode("utf-16-le")) // 2 <= limit:  # one message (most are): no need to find a cut
        return [html]
    tokens = _tokenize(html)
    positions = [index for index, token in enumerate(tokens) if isinstance(token, _Unit)]
    units = [token for token in tokens if isinstance(token, _Unit)]
    texts = [unit.text for unit in units]
    shown = [index for index, text in enumerate(texts) if not text.isspace()]
    offsets = [0]  # offsets[i]: UTF-16 length of the visible text before visible character i
    for unit in units:
        offsets.append(offsets[-1] + unit.utf16)

    ranks = _cut_ranks(texts)
    chunks: list[str] = []
    stack: list[_Tag] = []
    done = 0  # tokens before this index have been applied to `stack`
    start, last = shown[0], shown[-1]
    while True:
        if offsets[last + 1] - offsets[start] <= limit:
            end = last
        else:
            fits = bisect_right(offsets, offsets[start] + limit) - 2  # last character that still fits
            end = min(range(start, fits + 1), key=lambda index: (ranks[index], -index))
        for token in tokens[done : positions[start]]:
            if isinstance(token, _Tag):
                _apply(stack, token)
        parts = [tag.source for tag in stack]
        for token in tokens[positions[start] : positions[end] + 1]:
            parts.append(token.source)
            if isinstance(token, _Tag):
                _apply(stack, token)
        parts.extend(f"</{tag.name}>" for tag in reversed(stack))
        chunks.append("".join(parts))
        if end == last:
            return chunks
        done = positions[end] + 1
        start = end + 1
        while texts[start].isspace():
            start += 1


def _inline_html(text: str) -> str:
    """Escaped text with balanced `**bold**` pairs as <b>."""
    parts: list[str] = []
    position = 0
    for match in _BOLD.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<b>{escape(match.group(1))}</b>")
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def _line_html(line: str) -> str:
    """One line of a coach reply: a short numbered step heading (`1. Heading: rest`) in bold, then markdown."""
    match = _STEP_HEADING.match(line)
    if match:
        heading = match.group("heading")
        if len(heading) <= _MAX_HEADING and "**" not in heading and not _HEADING_SENTENCE_END.search(heading):
            return (
                f"{escape(match.group('number'))}<b>{escape(heading)}</b>{match.group('colon')}"
                f"{_inline_html(line[match.end() :])}"
            )
    return _inline_html(line)


def coach_html(
    text: str, *, title: str | None = None, sources: Sequence[str] = (), sources_label: str = "Sources"
) -> str:
    """The HTML of a coach reply: an optional bold title line, the escaped text with `**bold**` and step
    headings in bold, then the de-duplicated sources in italics after a blank line."""
    lines = [f"<b>{escape(title.strip())}</b>"] if title and title.strip() else []
    lines += [_line_html(line) for line in text.strip().splitlines()]
    html = "\n".join(lines)
    unique = list(dict.fromkeys(source.strip() for source in sources if source.strip()))
    if unique:
        separator = "\n\n" if html else ""
        html += f"{separator}<i>{escape(sources_label)}: {escape('; '.join(unique))}</i>"
    return html
