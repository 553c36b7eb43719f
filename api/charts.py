"""Charts for the staff dashboard as inline SVG, drawn on the server: no script, no chart
library, nothing fetched. Every label is escaped; every bar carries its number."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_WIDTH = 640
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_BAR_COLOUR = "#2f5d8a"
_MAX_COLUMN_WIDTH = 40


def column_chart(points: Sequence[tuple[str, int]], *, title: str, height: int = 180) -> Markup:
    """Vertical bars in order (a time series): one per point, labelled at both ends."""
    if not points:
        return _empty(title)
    top, bottom, left = 20, 24, 40
    plot_height = height - top - bottom
    plot_width = _WIDTH - left - 8
    slot = plot_width / len(points)
    peak = max(value for _, value in points) or 1
    shapes = [
        _text(left - 6, top + 4, str(peak), anchor="end"),
        _text(left - 6, top + plot_height, "0", anchor="end"),
        f'<line x1="{left}" y1="{top + plot_height}" x2="{_WIDTH - 8}" '
        f'y2="{top + plot_height}" stroke="#888"/>',
    ]
    for index, (label, value) in enumerate(points):
        bar_height = plot_height * value / peak
        # Narrow enough that a few days do not look like a wall.
        bar_width = min(slot * 0.8, _MAX_COLUMN_WIDTH)
        x = left + index * slot + (slot - bar_width) / 2
        shapes.append(
            f'<rect x="{x:.1f}" y="{top + plot_height - bar_height:.1f}" '
            f'width="{bar_width:.1f}" height="{bar_height:.1f}" fill="{_BAR_COLOUR}" '
            f'data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
    shapes.append(_text(left, height - 6, points[0][0]))
    if len(points) > 1:
        shapes.append(_text(_WIDTH - 8, height - 6, points[-1][0], anchor="end"))
    return _svg(title, height, shapes)


def bar_chart(rows: Sequence[tuple[str, int | None]], *, title: str) -> Markup:
    """Horizontal bars, one per row, with the label on the left and the number on the
    right. A row whose number is unknown (None) is drawn without a bar, marked as such."""
    if not rows:
        return _empty(title)
    row_height, label_width, number_width = 26, 150, 70
    height = row_height * len(rows) + 8
    plot_width = _WIDTH - label_width - number_width
    peak = max((value or 0 for _, value in rows), default=0) or 1
    shapes = []
    for index, (label, value) in enumerate(rows):
        y = 4 + index * row_height
        shapes.append(_text(label_width - 8, y + 17, label, anchor="end"))
        if value is None:
            shapes.append(_text(label_width, y + 17, "not recorded"))
            continue
        bar_width = plot_width * value / peak
        shapes.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{bar_width:.1f}" '
            f'height="{row_height - 6}" fill="{_BAR_COLOUR}" '
            f'data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        shapes.append(_text(label_width + bar_width + 6, y + 17, f"{value:,}"))
    return _svg(title, height, shapes)


def _svg(title: str, height: int, shapes: list[str]) -> Markup:
    body = "".join(shapes)
    # Safe: every piece of text in the shapes went through escape() where it was made.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" {_FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _text(x: float, y: float, content: str, *, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(content)}</text>'


def _empty(title: str) -> Markup:
    return _svg(title, 40, [_text(8, 24, "nothing yet")])
