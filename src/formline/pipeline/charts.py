"""Small inline-SVG charts for the HTML model report: reliability diagrams and bar charts.

The charts are plain strings of SVG markup, built here without a plotting library so that the
report stays one self-contained file. Every piece of text put into the markup is escaped; the
results are :class:`markupsafe.Markup`, so a Jinja2 template with autoescape inserts them as is.
No ``xmlns`` is written: inline SVG in HTML does not need one, and the report then holds no URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup, escape
from numpy.typing import NDArray

__all__ = ["ReliabilityBin", "bar_chart_svg", "reliability_bins", "reliability_svg"]

FloatArray = NDArray[np.float64]

_MODEL_COLOUR = "#1f5fa8"
_MARKET_COLOUR = "#c0562b"
_GRID_COLOUR = "#d9d9d9"
_FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-width bin of forecast probabilities.

    Attributes
    ----------
    low, high : float
        The bin's edges on ``[0, 1]``.
    count : int
        Forecasts in the bin.
    mean_predicted, observed : float
        Mean forecast probability and observed frequency of the event in the bin (NaN when
        ``count`` is 0).
    """

    low: float
    high: float
    count: int
    mean_predicted: float
    observed: float


def reliability_bins(prob: FloatArray, hit: FloatArray, n_bins: int = 10) -> list[ReliabilityBin]:
    """Equal-width reliability bins of ``prob`` against the 0/1 outcomes ``hit``.

    Parameters
    ----------
    prob : numpy.ndarray, shape (n,)
        Forecast probabilities in ``[0, 1]``, without missing values.
    hit : numpy.ndarray, shape (n,)
        1.0 where the event happened, else 0.0.
    n_bins : int, default 10
        Number of bins; the last one includes 1.0.

    Returns
    -------
    list of ReliabilityBin
        ``n_bins`` bins, empty ones included (with ``count`` 0 and NaN means).
    """
    index = np.minimum((np.asarray(prob) * n_bins).astype(np.int64), n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    sum_prob = np.bincount(index, weights=prob, minlength=n_bins)
    sum_hit = np.bincount(index, weights=hit, minlength=n_bins)
    bins = []
    for b in range(n_bins):
        n = int(counts[b])
        mean_p = float(sum_prob[b] / n) if n else float("nan")
        observed = float(sum_hit[b] / n) if n else float("nan")
        bins.append(ReliabilityBin(b / n_bins, (b + 1) / n_bins, n, mean_p, observed))
    return bins


def _text(
    x: float, y: float, label: str, size: int = 10, anchor: str = "middle", **extra: str
) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {_FONT}'
        f"{attrs}>{escape(label)}</text>"
    )


def _series(
    bins: Sequence[ReliabilityBin], sx: float, sy: float, x0: float, y0: float, colour: str,
    name: str, square: bool,
) -> list[str]:  # fmt: skip
    """A polyline through the non-empty bins and one marker per bin, with a tooltip each."""
    full = [b for b in bins if b.count > 0]
    points = [(x0 + b.mean_predicted * sx, y0 - b.observed * sy) for b in full]
    parts = []
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash = ' stroke-dasharray="4 3"' if square else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>'
        )
    for b, (x, y) in zip(full, points, strict=True):
        tip = (
            f"{name}: {b.low:.1f}-{b.high:.1f}, n={b.count}, predicted {b.mean_predicted:.3f}, "
            f"observed {b.observed:.3f}"
        )
        shape = (
            f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}">'
            if square
            else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
        )
        closing = "</rect>" if square else "</circle>"
        parts.append(f"{shape}<title>{escape(tip)}</title>{closing}")
    return parts


def reliability_svg(
    title: str,
    bins: Sequence[ReliabilityBin],
    overlay: Sequence[ReliabilityBin] | None = None,
    labels: tuple[str, str] = ("model", "closing market"),
) -> Markup:
    """A reliability diagram: observed frequency against mean forecast, per bin.

    Parameters
    ----------
    title : str
        Shown above the plot.
    bins : sequence of ReliabilityBin
        The main series (drawn as dots with a solid line); its counts are drawn as a strip of
        bars under the x axis, each with its number.
    overlay : sequence of ReliabilityBin, optional
        A second series (squares, dashed), e.g. the closing market.
    labels : tuple of str
        Legend names of the main series and the overlay.

    Returns
    -------
    markupsafe.Markup
        An ``<svg>`` element, 340 by 380 pixels.
    """
    width, height = 340, 380
    x0, y0, size = 52.0, 282.0, 260.0  # plot origin (bottom left) and side
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        _text(width / 2, 16, title, size=13, font_weight="bold"),
    ]
    for tick in np.linspace(0.0, 1.0, 6):
        x, y = x0 + tick * size, y0 - tick * size
        parts.append(
            f'<line x1="{x:.1f}" y1="{y0 - size:.1f}" x2="{x:.1f}" y2="{y0:.1f}" '
            f'stroke="{_GRID_COLOUR}"/><line x1="{x0:.1f}" y1="{y:.1f}" x2="{x0 + size:.1f}" '
            f'y2="{y:.1f}" stroke="{_GRID_COLOUR}"/>'
        )
        parts.append(_text(x, y0 + 13, f"{tick:.1f}", size=9))
        parts.append(_text(x0 - 5, y + 3, f"{tick:.1f}", size=9, anchor="end"))
    parts.append(
        f'<rect x="{x0}" y="{y0 - size}" width="{size}" height="{size}" fill="none" '
        f'stroke="#888"/><line x1="{x0}" y1="{y0}" x2="{x0 + size}" y2="{y0 - size}" '
        'stroke="#888" stroke-dasharray="3 3"/>'
    )
    parts.append(_text(x0 + size / 2, y0 + 28, "mean predicted probability", size=10))
    parts.append(
        _text(14, y0 - size / 2, "observed frequency", size=10,
              transform=f"rotate(-90 14 {y0 - size / 2:.1f})")
    )  # fmt: skip
    parts += _series(bins, size, size, x0, y0, _MODEL_COLOUR, labels[0], square=False)
    legend = [(labels[0], _MODEL_COLOUR)]
    if overlay is not None:
        parts += _series(overlay, size, size, x0, y0, _MARKET_COLOUR, labels[1], square=True)
        legend.append((labels[1], _MARKET_COLOUR))
    for i, (name, colour) in enumerate(legend):
        ly = y0 - size + 14 + 14 * i
        parts.append(f'<rect x="{x0 + 8}" y="{ly - 8}" width="9" height="9" fill="{colour}"/>')
        parts.append(_text(x0 + 22, ly, name, size=10, anchor="start"))
    # The strip of bin counts: where the forecasts are, and how much each dot can be trusted.
    top = max((b.count for b in bins), default=0) or 1
    strip = y0 + 82.0
    parts.append(_text(x0 - 5, strip, "n", size=9, anchor="end"))
    for b in bins:
        bar = 34.0 * b.count / top
        x = x0 + b.low * size + 2
        w = (b.high - b.low) * size - 4
        parts.append(
            f'<rect x="{x:.1f}" y="{strip - bar:.1f}" width="{w:.1f}" height="{bar:.1f}" '
            f'fill="{_MODEL_COLOUR}" fill-opacity="0.35"/>'
        )
        parts.append(_text(x + w / 2, strip + 11, str(b.count), size=8))
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], title: str) -> Markup:
    """A horizontal bar chart, one bar per label, in the given order.

    Parameters
    ----------
    labels : sequence of str
        Bar names (long names are shortened to 34 characters).
    values : sequence of float
        Non-negative bar lengths; NaN draws no bar.
    title : str
        Shown above the bars.

    Returns
    -------
    markupsafe.Markup
        An ``<svg>`` element 640 pixels wide.
    """
    row, left, span = 18, 230.0, 340.0
    width, height = 640, 30 + row * len(labels) + 8
    finite = [v for v in values if np.isfinite(v)]
    top = max(finite, default=0.0) or 1.0
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        _text(width / 2, 16, title, size=13, font_weight="bold"),
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 28 + i * row
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(_text(left - 6, y + 12, short, size=10, anchor="end"))
        if np.isfinite(value):
            w = max(span * max(value, 0.0) / top, 0.5)
            parts.append(
                f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" '
                f'fill="{_MODEL_COLOUR}"><title>{escape(label)}: {value:.4g}</title></rect>'
            )
            parts.append(_text(left + w + 4, y + 12, f"{value:.3g}", size=9, anchor="start"))
    parts.append("</svg>")
    return Markup("".join(parts))
