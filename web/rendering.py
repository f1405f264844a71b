"""The one Jinja environment of Boussole's pages, its French formatting filters, and :func:`page`.

Every HTML page of the service (the web pages, the coherence questions, the linked-data fiches, the query UI, the
ontology, the error pages) is rendered here, from ``web/templates``, inside ``base.html``: one layout, one
header with the search box, one breadcrumb, one footer.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = "/assets"

env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def nombre(value: Any, digits: int | None = None) -> str:
    """A number the French way: narrow no-break space between thousands, decimal comma; « — » for nothing."""
    if value is None or value == "":
        return "—"
    try:
        number = float(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return str(value)
    if digits is None:
        digits = 0 if number.is_integer() else 2
    return f"{number:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def euros(value: Any) -> str:
    return "—" if value is None else nombre(value, 0) + "\u00a0€"


MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def date_fr(value: Any, long: bool = False) -> str:
    """``2024-05-13`` → ``13/05/2024`` (or « 13 mai 2024 »); a timestamp keeps its hour (« 13/05/2024 à 09:30 »)."""
    if not value:
        return "—"
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?", str(value))
    if not m:
        return str(value)
    y, mo, d, hh, mm = m.groups()
    text = f"{int(d)} {MONTHS[int(mo) - 1]} {y}" if long else f"{d}/{mo}/{y}"
    return f"{text} à {hh}:{mm}" if hh else text


def litteral(value: str, datatype: str | None) -> str:
    """A typed literal as a person reads it: numbers and dates formatted, booleans in French, no ``(integer)``."""
    if datatype in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger", "decimal", "double", "float"):
        return nombre(value)
    if datatype in ("date", "dateTime"):
        return date_fr(value)
    if datatype == "boolean":
        return "oui" if value in ("true", "1") else "non"
    return value


env.filters.update(nombre=nombre, euros=euros, date_fr=date_fr, litteral=litteral)


def base_context(request: Request) -> dict[str, Any]:
    """What the layout needs on every page: the current path, the reviewer, whether reviews are writable."""
    cfg = getattr(request.app.state, "boussole_web", None)
    return {
        "request": request, "assets": ASSETS, "path": request.url.path,
        "query_page": getattr(cfg, "query_page", "/ui"),
        "reviewer": cfg.reviewer(request) if cfg is not None else None,
        "writable": bool(cfg.write_token()) if cfg is not None else False,
        "pages_mounted": cfg is not None,
    }


def render_text(request: Request, template: str, **ctx: Any) -> str:
    ctx.setdefault("title", "Boussole")
    return env.get_template(template).render(**base_context(request), **ctx)


def page(request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
         **ctx: Any) -> HTMLResponse:
    """``template`` rendered in the layout. ``ariane``: the breadcrumb, a list of (text, href or None)."""
    return HTMLResponse(render_text(request, template, **ctx), status_code=status, headers=headers)
