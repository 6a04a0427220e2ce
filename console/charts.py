"""Small server-side SVG charts: weight against the baseline with the 2 % and 5 % lines (W-2,
W-1), and temperatures against 38.0 °C (T-FEV). No JavaScript, readable without colour."""

from decimal import Decimal
from html import escape

from flask_babel import gettext as _

W, H, PAD = 640, 220, 40


def _scale(values, low, high):
    span = (high - low) or Decimal(1)
    return [H - PAD - float((v - low) / span) * (H - 2 * PAD) for v in values]


def line_chart(points, guides, unit: str, title: str) -> str:
    """points: [(label, value)]; guides: [(label, value, dash)] horizontal lines."""
    if not points:
        return ""
    values = [v for _, v in points] + [v for _, v, _ in guides]
    low, high = min(values) - Decimal("0.5"), max(values) + Decimal("0.5")
    xs = [PAD + i * (W - 2 * PAD) / max(1, len(points) - 1) for i in range(len(points))]
    ys = _scale([v for _, v in points], low, high)
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {W} {H}" '
        f'class="chart"><title>{escape(title)}</title>'
    ]
    for label, value, dash in guides:
        y = _scale([value], low, high)[0]
        parts.append(
            f'<line x1="{PAD}" x2="{W - PAD}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="guide" stroke-dasharray="{dash}"/>'
            f'<text x="{W - PAD}" y="{y - 4:.1f}" text-anchor="end" class="guide-label">'
            f"{escape(label)}</text>"
        )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    parts.append(f'<polyline points="{path}" class="series"/>')
    for (label, value), x, y in zip(points, xs, ys, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="point">'
            f"<title>{escape(label)}: {value} {unit}</title></circle>"
        )
    parts.append(
        f'<text x="{PAD}" y="{H - 8}" class="axis">{escape(points[0][0])}</text>'
        f'<text x="{W - PAD}" y="{H - 8}" text-anchor="end" class="axis">'
        f"{escape(points[-1][0])}</text></svg>"
    )
    return "".join(parts)


def weight_chart(points, baseline_kg, title) -> str:
    if baseline_kg is None:
        return line_chart(points, [], "kg", title)
    guides = [
        (_("baseline"), baseline_kg, "0"),
        ("+2 %", baseline_kg * Decimal("1.02"), "4 4"),
        ("+5 %", baseline_kg * Decimal("1.05"), "8 4"),
    ]
    return line_chart(points, guides, "kg", title)


def temperature_chart(points, title) -> str:
    return line_chart(points, [("38.0 °C", Decimal("38.0"), "8 4")], "°C", title)
