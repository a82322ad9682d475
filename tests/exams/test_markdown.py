"""Item and scenario text is Markdown rendered on the server in safe mode, and the
validator names what would not render as its author meant."""

from __future__ import annotations

from app.exams.markdown import block_html, inline_html, problems


def test_markdown_renders_code_and_escapes_html() -> None:
    html = block_html(
        "Run `kubectl rollout undo` now.\n\n```yaml\nreplicas: 3\n```\n<script>x</script>"
    )
    assert "<code>kubectl rollout undo</code>" in html
    assert '<pre><code class="language-yaml">replicas: 3\n</code></pre>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_options_render_inline_and_link_nowhere() -> None:
    assert inline_html("Set `replicas: 3` for *this* one") == (
        "Set <code>replicas: 3</code> for <em>this</em> one"
    )
    assert "<a" not in inline_html("[docs](https://example.org) or <https://example.org>")
    assert "href" not in block_html("[x](javascript:alert(1))")


def test_markdown_that_would_not_render_cleanly_is_named() -> None:
    assert problems("Use `kubectl` and <b>bold</b>") == [
        "raw HTML '<b>' would show as text",
        "raw HTML '</b>' would show as text",
    ]
    assert problems("the `open code span") == ["a code span left open near 'the `open code span'"]
    assert problems("see [the runbook](https://example.org)") == ["a link: exam text links nowhere"]
    # Placeholders in angle brackets and comparisons are text, shown as typed.
    assert problems("image <none>, p < 0.05, `a` and `b`, **bold**") == []
