"""axe-core (vendored, tests/web/vendor/axe-core) run inside a Playwright page: the serious and critical violations."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
RUN = """async (exclude) => (await axe.run({exclude: exclude}, {resultTypes: ['violations']})).violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""


def serious_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Violations of impact « serious » or « critical » on the page as it is now (``exclude``: CSS selectors of
    third-party parts the accessibility statement lists as not accessible)."""
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN, [[sel] for sel in exclude]) if v["impact"] in ("serious", "critical")]
