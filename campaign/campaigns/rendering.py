"""Campaign text is written in Markdown by staff and shown to the public as HTML."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from campaign.letters.templating import in_words

# Raw HTML in the Markdown is escaped, not passed through; nh3 then keeps only
# an allow-list of tags and safe link schemes, whatever the parser produced.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "a", "ul", "ol", "li",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str) -> str:
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def campaign_text_html(markdown: str) -> str:
    """A campaign's text as the public sees it, on its page and in the API: a letter's
    placeholders in words ("[official's name]"), never raw, whatever the kind. The staff
    editor's preview shows the same."""
    return render_markdown(in_words(markdown))
