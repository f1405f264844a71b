"""Charts drawn on the server as inline SVG, with every number written as text (readable, testable, offline).

Each value is a ``<text class="valeur" data-key="…" data-value="…">`` so that a test (or a screen reader)
reads the same number the bar shows.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ["#1f4e9c", "#b3461b", "#1b7a4a", "#6b4c9a", "#8a6d00"]  # ≥ 4.5:1 against white
GREY = "#5f6670"


def _fmt(v: float, money: bool = False) -> str:
    if money:
        return f"{v:,.0f}".replace(",", "\u202f") + "\u00a0€"
    return f"{v:,.0f}".replace(",", "\u202f") if float(v).is_integer() else f"{v:.2f}".replace(".", ",")


def _a(href: str | None, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _svg_open(chart_id: str, title: str, width: float, height: float, links: bool = False) -> str:
    """The opening of an accessible, responsive chart labelled by its ``<title>``: ``role=img``, or ``role=group``
    when its labels link to pages (an image's content is presentational, so links inside it are not reachable)."""
    role = "group" if links else "img"
    return (f'<svg id="{chart_id}" class="chart" role="{role}" aria-labelledby="{chart_id}-t" '
            f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
            'preserveAspectRatio="xMinYMin meet">'
            f'<title id="{chart_id}-t">{escape(title)}</title>')


def bar_chart(chart_id: str, rows: list[tuple[str, float, str | None, str]], *, unit: str, title: str,
              money: bool = False) -> Markup:
    """Horizontal bars: (label, value, link, tooltip) per row."""
    width, left, bar_h, gap = 640, 170, 26, 10
    height = len(rows) * (bar_h + gap) + 10
    top = max([v for _, v, _, _ in rows] + [1])
    parts = [_svg_open(chart_id, title, width, height, links=any(href for _, _, href, _ in rows))]
    for i, (label, value, href, tip) in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = 0 if not value else max(2, (width - left - 120) * value / top)
        color = PALETTE[i % len(PALETTE)] if label != "Aucun engagement" else GREY
        parts.append(
            f'<g class="barre" data-key="{escape(label)}"><title>{escape(tip)}</title>'
            + _a(href, f'<text x="{left - 8}" y="{y + bar_h * 0.68}" text-anchor="end" class="etiquette">'
                       f'{escape(label)}</text>')
            + f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="3"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.68}" class="valeur" data-key="{escape(label)}" '
            f'data-value="{value:g}">{escape(_fmt(value, money))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_chart(chart_id: str, by_year: list[dict], *, title: str) -> Markup:
    """Vertical bars per year, one per engagement (and « aucun »)."""
    if not by_year:
        return Markup('<p class="vide">Aucune délibération datée pour l\'instant.</p>')
    series = [s["label"] for s in by_year[0]["series"]]
    n_series = len(series)
    bar_w, group_gap, height, base = 22, 30, 260, 220
    width = max(640, 50 + len(by_year) * (n_series * bar_w + group_gap))
    top = max([s["n"] for y in by_year for s in y["series"]] + [1])
    parts = [_svg_open(chart_id, title, width, height + 30),
             f'<line x1="40" y1="{base}" x2="{width - 5}" y2="{base}" stroke="#333"/>']
    for gi, year in enumerate(by_year):
        x0 = 50 + gi * (n_series * bar_w + group_gap)
        for si, s in enumerate(year["series"]):
            h = 0 if not s["n"] else max(2, (base - 30) * s["n"] / top)
            x = x0 + si * bar_w
            color = PALETTE[si % len(PALETTE)] if s["key"] != "aucun" else GREY
            parts.append(
                f'<g class="barre"><title>{escape(s["label"])} — {year["annee"]} : {s["n"]}</title>'
                f'<rect x="{x}" y="{base - h:.1f}" width="{bar_w - 3}" height="{h:.1f}" fill="{color}"/>'
                f'<text x="{x + (bar_w - 3) / 2}" y="{base - h - 4:.1f}" text-anchor="middle" class="valeur" '
                f'data-key="{escape(s["label"])}|{year["annee"]}" data-value="{s["n"]}">{s["n"]}</text></g>')
        parts.append(f'<text x="{x0 + n_series * bar_w / 2}" y="{base + 18}" text-anchor="middle" class="etiquette">'
                     f'{year["annee"]}</text>')
    # legend
    for si, name in enumerate(series):
        color = PALETTE[si % len(PALETTE)] if name != "Aucun engagement" else GREY
        x = 50 + si * 140
        parts.append(f'<rect x="{x}" y="{height + 8}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16}" y="{height + 19}" class="legende">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def share_chart(chart_id: str, share: list[dict], *, title: str) -> Markup:
    """Per year, the percentage of deliberations attached to an engagement (bar = share, text = % and counts)."""
    if not share:
        return Markup('<p class="vide">Aucune délibération datée pour l\'instant.</p>')
    width, left, bar_h, gap = 640, 70, 24, 10
    height = len(share) * (bar_h + gap) + 10
    span = width - left - 190
    parts = [_svg_open(chart_id, title, width, height)]
    for i, row in enumerate(share):
        y = 5 + i * (bar_h + gap)
        w = span * row["part"] / 100
        parts.append(
            f'<g class="barre"><text x="{left - 8}" y="{y + bar_h * 0.7}" text-anchor="end" '
            f'class="etiquette">{row["annee"]}</text>'
            f'<rect x="{left}" y="{y}" width="{span}" height="{bar_h}" fill="#e4e7eb"/>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[2]}"/>'
            f'<text x="{left + span + 8}" y="{y + bar_h * 0.7}" class="valeur" data-key="{row["annee"]}" '
            f'data-value="{row["part"]}" data-rattachees="{row["rattachees"]}" data-total="{row["total"]}">'
            f'{row["part"]}\u00a0% ({row["rattachees"]}/{row["total"]})</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def idh_text(commune: dict) -> str:
    """The IDH of a commune: its value, or the range the source gives for a group of communes (« 0,18–0,28 »)."""
    if commune.get("idh") is not None:
        return f'{commune["idh"]:.3f}'.replace(".", ",")
    if commune.get("idh_min") is not None and commune.get("idh_max") is not None:
        return f'{commune["idh_min"]:.2f}–{commune["idh_max"]:.2f}'.replace(".", ",")
    return "—"


def communes_chart(chart_id: str, communes: list[dict], *, title: str) -> Markup:
    """Sorted bars of deliberations under engagement 1 per commune, with QPV / poches / IDH in columns."""
    if not communes:
        return Markup('<p class="vide">Aucune commune dans le graphe.</p>')
    width, left, row_h = 760, 200, 20
    cols = {"deliberations": left, "qpv": 560, "poches": 620, "idh": 690}
    height = 30 + len(communes) * row_h + 5
    top = max([c["deliberations"] for c in communes] + [1])
    span = cols["qpv"] - left - 40
    parts = [_svg_open(chart_id, title, width, height, links=any(c["href"] for c in communes)),
             f'<text x="{left}" y="16" class="entete">Délibérations (engagement 1)</text>'
             f'<text x="{cols["qpv"]}" y="16" class="entete" text-anchor="middle">QPV</text>'
             f'<text x="{cols["poches"]}" y="16" class="entete" text-anchor="middle">Poches</text>'
             f'<text x="{cols["idh"]}" y="16" class="entete" text-anchor="middle">IDH</text>']
    for i, c in enumerate(communes):
        y = 26 + i * row_h
        w = 0 if not c["deliberations"] else max(2, span * c["deliberations"] / top)
        prioritaire = c["qpv"] or c["poches"]
        fill = PALETTE[0] if c["deliberations"] else "none"
        cls = "commune prioritaire" if prioritaire else "commune"
        if prioritaire and not c["deliberations"]:
            cls += " sans-effort"
        idh = idh_text(c)
        parts.append(
            f'<g class="{cls}" data-commune="{escape(c["label"])}">'
            + (f'<rect x="0" y="{y}" width="{width}" height="{row_h}" fill="#fff4e0"/>' if prioritaire else "")
            + _a(c["href"], f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" class="etiquette">'
                            f'{escape(c["label"])}</text>')
            + f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{fill}"/>'
            f'<text x="{left + w + 5:.1f}" y="{y + 14}" class="valeur" data-key="{escape(c["label"])}" '
            f'data-value="{c["deliberations"]}">{c["deliberations"]}</text>'
            f'<text x="{cols["qpv"]}" y="{y + 14}" text-anchor="middle" class="qpv" '
            f'data-value="{c["qpv"]}">{c["qpv"]}</text>'
            f'<text x="{cols["poches"]}" y="{y + 14}" text-anchor="middle" class="poches" '
            f'data-value="{c["poches"]}">{c["poches"]}</text>'
            f'<text x="{cols["idh"]}" y="{y + 14}" text-anchor="middle" class="idh">{idh}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(chart_id: str, points: list[tuple[str, float]], *, unit: str, title: str,
                target: tuple[int, float] | None = None) -> Markup:
    """A line through the values of an indicator over its periods (labels as written, « 2022 », « 2024-06-30 »), each
    point with its value as text; ``target`` (horizon, level) draws the target as a dashed line with its label."""
    if not points:
        return Markup('<p class="vide">Aucune valeur pour l\'instant.</p>')
    width, height, left, top, bottom = 360, 150, 44, 18, 118
    values = [v for _, v in points] + ([target[1]] if target else [])
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    span = width - left - 40

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - low) / (high - low)

    def x(i: int) -> float:
        return left + (span * i / (len(points) - 1) if len(points) > 1 else span / 2)

    parts = [_svg_open(chart_id, title, width, height),
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#333"/>']
    if target:
        ty = y(target[1])
        parts.append(f'<g class="cible"><line x1="{left}" y1="{ty:.1f}" x2="{width - 10}" y2="{ty:.1f}" '
                     f'stroke="{PALETTE[1]}" stroke-dasharray="5 4"/>'
                     f'<text x="{width - 12}" y="{ty - 4:.1f}" text-anchor="end" '
                     'class="legende" '
                     f'data-value="{target[1]:g}">cible {escape(_fmt(target[1]))} en {target[0]}</text></g>')
    if len(points) > 1:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for i, (label, v) in enumerate(points):
        parts.append(
            f'<g class="point"><title>{escape(label)} : {escape(_fmt(v))} {escape(unit)}</title>'
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4" fill="{PALETTE[0]}"/>'
            f'<text x="{x(i):.1f}" y="{y(v) - 8:.1f}" text-anchor="middle" class="valeur" data-key="{escape(label)}" '
            f'data-value="{v:g}">{escape(_fmt(v))}</text>'
            f'<text x="{x(i):.1f}" y="{bottom + 16}" text-anchor="middle" class="etiquette">{escape(label)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
