"""Charts as SVG text, rendered by the service: no chart library, no external service.

Two shapes cover the console: horizontal bars (a value per label) and stacked columns
(per day, a value per series). Every label goes through XML escaping; each chart has a
title and a text description for screen readers, and the numbers are also printed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

# Colour-blind safe (Okabe–Ito), enough contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _open(width: int, height: int, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
    ]


def bar_chart(title: str, values: Sequence[tuple[str, float]], *, unit: str = "") -> str:
    """One horizontal bar per (label, value)."""
    label_width, bar_width, row = 180, 260, 24
    width, height = label_width + bar_width + 70, 30 + row * max(len(values), 1)
    largest = max((v for _, v in values), default=0) or 1
    description = (
        "; ".join(f"{label}: {_number(v)}{unit}" for label, v in values) or "geen gegevens"
    )
    parts = _open(width, height, title, description)
    parts.append(f'<text x="0" y="16" {FONT} font-weight="bold">{escape(title)}</text>')
    for index, (label, value) in enumerate(values):
        y = 28 + index * row
        length = round(bar_width * value / largest, 1)
        parts.append(f'<text x="0" y="{y + 14}" {FONT}>{escape(label)}</text>')
        parts.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{length}" height="16" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6}" y="{y + 14}" {FONT}>'
            f"{escape(_number(value) + unit)}</text>"
        )
    if not values:
        parts.append(f'<text x="0" y="44" {FONT}>Geen gegevens in deze periode</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_columns(
    title: str, columns: Mapping[str, Mapping[str, float]], series: Sequence[str]
) -> str:
    """Per column label (a day), one stacked block per series, with a legend."""
    plot_height, left, top, width = 160, 36, 24, 520
    # Columns share the plot's width: one day is a wide column, ninety are thin ones.
    column_width = round(min(48.0, (width - left - 10) / max(len(columns), 1)), 2)
    label_every = max(1, math.ceil(len(columns) / 8))
    legend_rows = len(series)
    height = top + plot_height + 40 + 16 * legend_rows
    totals = [sum(values.get(s, 0) for s in series) for values in columns.values()]
    largest = max(totals, default=0) or 1
    description = "; ".join(
        f"{label}: " + ", ".join(f"{s} {_number(values.get(s, 0))}" for s in series)
        for label, values in columns.items()
    )
    parts = _open(width, height, title, description or "geen gegevens")
    parts.append(f'<text x="0" y="14" {FONT} font-weight="bold">{escape(title)}</text>')
    parts.append(f'<text x="0" y="{top + 10}" {FONT}>{_number(largest)}</text>')
    base = top + plot_height
    for index, (label, values) in enumerate(columns.items()):
        x = round(left + index * column_width, 2)
        y = float(base)
        for colour, name in zip(PALETTE, series, strict=False):
            value = values.get(name, 0)
            if value:
                size = round(plot_height * value / largest, 1)
                y -= size
                parts.append(
                    f'<rect x="{x}" y="{round(y, 1)}" width="{round(column_width * 0.8, 2)}" '
                    f'height="{size}" fill="{colour}"><title>{escape(label)}: {escape(name)} '
                    f"{_number(value)}</title></rect>"
                )
        if index % label_every == 0:
            parts.append(f'<text x="{x}" y="{base + 14}" {FONT}>{escape(label[5:])}</text>')
    for row, (colour, name) in enumerate(zip(PALETTE, series, strict=False)):
        y = base + 30 + row * 16
        parts.append(f'<rect x="0" y="{y - 10}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="16" y="{y}" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
