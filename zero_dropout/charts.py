"""Inline SVG charts for the province report: no script, no font file, nothing fetched.

Every chart takes already-aggregated rows (a handful of categories, never one row
per child). A value of None is a suppressed count: it is labelled "<5" and gets no bar.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#1f6f8b", "#e07a5f", "#81b29a", "#f2cc8f", "#3d405b", "#9c6644")
SUPPRESSED = "<5"


def number(value: int | float | None) -> str:
    """A count as the report prints it: thousands separators, "<5" when suppressed."""
    if value is None:
        return SUPPRESSED
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def hbar(title: str, rows: list[tuple[str, int | None]], width: int = 720) -> str:
    """Horizontal bars, one per (label, count)."""
    label_w, row_h, pad = 260, 26, 8
    biggest = max([v for _, v in rows if v] or [1])
    bar_w = width - label_w - 90
    height = pad * 2 + row_h * max(len(rows), 1)
    parts = []
    for i, (label, value) in enumerate(rows):
        y = pad + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
        if value:
            w = max(1.0, bar_w * value / biggest)
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{PALETTE[0]}">'
                         f'<title>{escape(label)}: {number(value)}</title></rect>')
            parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{number(value)}</text>')
        else:
            parts.append(f'<text x="{label_w + 6}" y="{y + 17}" class="muted">{number(value)}</text>')
    return _svg(title, width, height, parts)


def grouped_columns(title: str, groups: list[str], series: dict[str, list[int | None]], width: int = 720) -> str:
    """Vertical columns: for each group (a term), one column per series, with a legend."""
    height, top, bottom, left = 300, 36, 40, 60
    plot_h = height - top - bottom
    biggest = max([v for values in series.values() for v in values if v] or [1])
    slot = (width - left - 10) / max(len(groups), 1)
    col_w = min(36.0, slot * 0.8 / max(len(series), 1))
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#999"/>']
    for k, name in enumerate(series):
        parts.append(f'<rect x="{left + k * 150}" y="8" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>'
                     f'<text x="{left + k * 150 + 16}" y="19">{escape(name)}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * slot + (slot - col_w * len(series)) / 2
        for k, (name, values) in enumerate(series.items()):
            value = values[g]
            x = x0 + k * col_w
            if value:
                h = max(1.0, plot_h * value / biggest)
                parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{col_w - 2:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(group)} {escape(name)}: '
                             f'{number(value)}</title></rect>')
            else:
                parts.append(f'<text x="{x:.1f}" y="{top + plot_h - 4}" class="muted small">{number(value)}</text>')
        parts.append(f'<text x="{left + g * slot + slot / 2:.1f}" y="{height - 14}" text-anchor="middle">{escape(group)}</text>')
    return _svg(title, width, height, parts)


def _svg(title: str, width: int, height: int, parts: list[str]) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">' + "".join(parts) + "</svg>")
