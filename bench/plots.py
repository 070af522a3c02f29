"""Line charts as plain SVG text: the benchmarks run in the service's venv, which has no
plotting library, and a chart of a few curves needs none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 760, 520
LEFT, RIGHT, TOP, BOTTOM = 70, 230, 40, 60
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
PUBLISHED_COLOUR = "#333333"


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Curve:
    label: str
    points: Sequence[tuple[float, float]]
    marks: Sequence[Point] = field(default_factory=tuple)


def _axis_range(values: Sequence[float], pad: float) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    span = high - low
    return max(0.0, low - pad * span), min(100.0, high + pad * span)


def svg_curves(
    title: str, x_label: str, y_label: str, curves: Sequence[Curve], published: Sequence[Point] = ()
) -> str:
    xs = [x for c in curves for x, _ in c.points] + [p.x for p in published]
    ys = [y for c in curves for _, y in c.points] + [p.y for p in published]
    x0, x1 = _axis_range(xs, 0.03)
    y0, y1 = _axis_range(ys, 0.05)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return TOP + (1 - (y - y0) / (y1 - y0)) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for i in range(6):
        xv = x0 + i * (x1 - x0) / 5
        yv = y0 + i * (y1 - y0) / 5
        out.append(
            f'<line x1="{px(xv):.1f}" y1="{TOP}" x2="{px(xv):.1f}" '
            f'y2="{TOP + plot_h}" stroke="#eee"/>'
        )
        out.append(
            f'<line x1="{LEFT}" y1="{py(yv):.1f}" x2="{LEFT + plot_w}" '
            f'y2="{py(yv):.1f}" stroke="#eee"/>'
        )
        out.append(
            f'<text x="{px(xv):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{xv:.0f}</text>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{py(yv) + 4:.1f}" text-anchor="end">{yv:.1f}</text>')
    out.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 20}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(18 {TOP + plot_h / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    legend_y = TOP + 10
    for index, curve in enumerate(curves):
        colour = COLOURS[index % len(COLOURS)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in curve.points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for mark in curve.marks:
            out.append(
                f'<circle cx="{px(mark.x):.1f}" cy="{py(mark.y):.1f}" r="4" fill="{colour}"/>'
            )
            out.append(
                f'<text x="{px(mark.x) + 6:.1f}" y="{py(mark.y) - 6:.1f}" '
                f'fill="{colour}">{escape(mark.label)}</text>'
            )
        out.append(
            f'<line x1="{WIDTH - RIGHT + 12}" y1="{legend_y}" x2="{WIDTH - RIGHT + 32}" '
            f'y2="{legend_y}" stroke="{colour}" stroke-width="2"/>'
        )
        out.append(
            f'<text x="{WIDTH - RIGHT + 38}" y="{legend_y + 4}">{escape(curve.label)}</text>'
        )
        legend_y += 20
    for point in published:
        x, y = px(point.x), py(point.y)
        out.append(
            f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} '
            f'M{x - 5:.1f},{y + 5:.1f} L{x + 5:.1f},{y - 5:.1f}" '
            f'stroke="{PUBLISHED_COLOUR}" stroke-width="2"/>'
        )
        out.append(
            f'<text x="{x + 7:.1f}" y="{y + 14:.1f}" fill="{PUBLISHED_COLOUR}">'
            f"{escape(point.label)}</text>"
        )
    if published:
        out.append(
            f'<text x="{WIDTH - RIGHT + 12}" y="{legend_y + 4}" '
            f'fill="{PUBLISHED_COLOUR}">× published (Larson et al. 2019)</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
