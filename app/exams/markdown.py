"""Item and scenario text is Markdown (CommonMark), rendered here on the server in safe
mode: raw HTML is escaped, never passed through, and links and images are off (an exam
page sends the candidate nowhere). ``problems`` is the validator's side: Markdown that
would not render as its author meant (raw HTML, a code span left open, a link) is
refused before it reaches a candidate."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_OFF = ["link", "image", "autolink", "html_inline", "html_block"]
_render = MarkdownIt("commonmark", {"html": False}).disable(_OFF)
# HTML an author may have meant as markup; a placeholder such as <none> or <model> is
# text, shown as typed.
_HTML_TAG = re.compile(
    r"</?(a|b|i|u|em|strong|code|pre|br|p|div|span|img|script|style|ul|ol|li|table|tr|td|th"
    r"|h[1-6]|sub|sup|kbd|hr)\b",
    re.I,
)
# The validator parses with HTML on, to find it.
_inspect = MarkdownIt("commonmark", {"html": True})


@lru_cache(maxsize=8192)
def block_html(text: str) -> str:
    """A stem or a brief: paragraphs, lists, code blocks."""
    html: str = _render.render(text)
    return html


@lru_cache(maxsize=32768)
def inline_html(text: str) -> str:
    """An option: one line, code spans and emphasis, no paragraph around it."""
    html: str = _render.renderInline(text)
    return html


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out.extend(_walk(token.children))
    return out


def problems(text: str) -> list[str]:
    """Why ``text`` would not render cleanly, in words for its author."""
    found: list[str] = []
    for token in _walk(_inspect.parse(text)):
        if token.type in ("html_inline", "html_block") and _HTML_TAG.search(token.content):
            found.append(f"raw HTML {token.content.strip()[:40]!r} would show as text")
        elif token.type == "link_open":
            found.append("a link: exam text links nowhere")
        elif token.type == "image":
            found.append("an image: exam text has none")
        elif token.type == "text" and "`" in token.content:
            found.append(f"a code span left open near {token.content.strip()[:40]!r}")
    return found
