"""Inline SVG charts for the HTML compliance report: stacked bars and a stacked-area trend.

Plain SVG elements with presentation attributes (no script, no external reference, no
xmlns URL: inline SVG in HTML needs none), each mark with a <title> giving its figure, so a
printed or a screen-read report carries the numbers and not only the shapes.
"""

from __future__ import annotations

from html import escape

from dsscan.reports.compliance import TrendPoint
from dsscan.wording import count

# Level colours, darkest for the highest level; distinct in greyscale print too.
LEVEL_COLOURS: dict[str, str] = {
    "core": "#7f1d1d", "important": "#dc2626", "sensitive": "#f59e0b",
    "general": "#2563eb", "unclassified": "#6b7280",
}
OTHER_COLOUR = "#a855f7"
WIDTH = 720


def colour(level: str) -> str:
    return LEVEL_COLOURS.get(level, OTHER_COLOUR)


def _e(text: str) -> str:
    return escape(text, quote=True)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def stacked_bars(title: str, rows: list[tuple[str, dict[str, int]]],
                 levels: tuple[str, ...], label_width: int = 130) -> str:
    """One horizontal bar per row, split by level; the total at the bar's end."""
    row_h, bar_h, top = 24, 16, 6
    bar_area = WIDTH - label_width - 56
    top_total = max((sum(d.values()) for _, d in rows), default=0)
    scale = bar_area / top_total if top_total else 0.0
    height = top + row_h * len(rows) + 6
    out = [f'<svg class="chart" role="img" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" aria-label="{_e(title)}">',
           f"<title>{_e(title)}</title>"]
    for i, (label, by_level) in enumerate(rows):
        y = top + i * row_h
        total = sum(by_level.values())
        out.append(f'<text x="{label_width - 8}" y="{y + 12}" text-anchor="end">'
                   f"{_e(label)}</text>")
        # The axis line keeps a zero row visible as a row.
        out.append(f'<line x1="{label_width}" y1="{y - 2}" x2="{label_width}" '
                   f'y2="{y + bar_h + 2}" stroke="#9ca3af"/>')
        x = float(label_width)
        for lv in levels:
            n = by_level.get(lv, 0)
            if not n:
                continue
            w = n * scale
            out.append(f'<rect class="seg" x="{_num(x)}" y="{y}" width="{_num(w)}" '
                       f'height="{bar_h}" fill="{colour(lv)}">'
                       f"<title>{_e(label)} · {_e(lv)}: {n}</title></rect>")
            x += w
        out.append(f'<text x="{_num(x + 6)}" y="{y + 12}">{total}</text>')
    out.append("</svg>")
    return "".join(out)


def _nice_max(v: int) -> int:
    if v <= 5:
        return max(v, 1)
    step = 10 ** (len(str(v)) - 1)
    # Even multiples keep the middle grid line on a whole number.
    for m in (1, 2, 3, 4, 6, 8, 10):
        if v <= m * step:
            return m * step
    return v  # not reached: v <= 10 * step


def trend_area(points: list[TrendPoint], levels: tuple[str, ...]) -> str:
    """Findings per run stacked by level (highest level at the bottom), total on top."""
    height, ml, mr, mt, mb = 250, 48, 24, 14, 46
    pw, ph = WIDTH - ml - mr, height - mt - mb
    n = len(points)
    ymax = _nice_max(max((p.findings for p in points), default=0))

    def xs(i: int) -> float:
        return ml + (pw * i / (n - 1) if n > 1 else pw / 2)

    def ys(v: float) -> float:
        return mt + ph - ph * v / ymax

    title = "Findings per run by data level"
    out = [f'<svg class="chart" role="img" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" aria-label="{title}">', f"<title>{title}</title>"]
    for t in (0, ymax / 2, ymax):
        y = ys(t)
        out.append(f'<line x1="{ml}" y1="{_num(y)}" x2="{ml + pw}" y2="{_num(y)}" '
                   f'stroke="#e5e7eb"/>')
        out.append(f'<text x="{ml - 6}" y="{_num(y + 4)}" text-anchor="end">{_num(t)}</text>')
    below = [0] * n
    for lv in levels:
        vals = [p.by_level.get(lv, 0) for p in points]
        if not any(vals):
            continue
        above = [b + v for b, v in zip(below, vals, strict=True)]
        pts = [f"{_num(xs(i))},{_num(ys(above[i]))}" for i in range(n)]
        pts += [f"{_num(xs(i))},{_num(ys(below[i]))}" for i in reversed(range(n))]
        out.append(f'<polygon class="area" points="{" ".join(pts)}" fill="{colour(lv)}" '
                   f'fill-opacity="0.85"><title>{_e(lv)}: '
                   f'{", ".join(str(v) for v in vals)}</title></polygon>')
        below = above
    line = " ".join(f"{_num(xs(i))},{_num(ys(p.findings))}" for i, p in enumerate(points))
    out.append(f'<polyline points="{line}" fill="none" stroke="#111827" stroke-width="1.5"/>')
    every = max(1, -(-n // 6))  # at most ~6 x labels
    # Dates alone, unless two runs shown share a day (several sweeps a day): then the time.
    days = [p.label[:10] for p in points if not p.current]
    short = 10 if len(set(days)) == len(days) else 16
    for i, p in enumerate(points):
        x = _num(xs(i))
        out.append(f'<circle class="pt" cx="{x}" cy="{_num(ys(p.findings))}" r="3" '
                   f'fill="#111827"><title>{_e(p.label)}: {count(p.findings, "finding")}'
                   f'{" (this run)" if p.current else ""}</title></circle>')
        if i % every == 0 or i == n - 1:
            text = "this run" if p.current else p.label[:short]
            bold = ' font-weight="bold"' if p.current else ""
            out.append(f'<text x="{x}" y="{height - mb + 18}" text-anchor="middle"{bold}>'
                       f"{_e(text)}</text>")
    out.append(f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" '
               f'stroke="#6b7280"/>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["LEVEL_COLOURS", "colour", "stacked_bars", "trend_area"]
