"""Pass counts of the W3C suites, collected during the run and written to test-artifacts/w3c-summary.md."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

RESULTS: dict[str, dict[str, bool]] = defaultdict(dict)
NOTES: dict[str, str] = {}
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "w3c-summary.md"


def record(suite: str, test: str, passed: bool) -> None:
    RESULTS[suite][test] = passed


def table() -> str:
    lines = ["| suite | passed | total | failing |", "| --- | ---: | ---: | --- |"]
    for suite in sorted(RESULTS):
        res = RESULTS[suite]
        failing = sorted(t.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for t, ok in res.items() if not ok)
        shown = ", ".join(failing[:12]) + (" …" if len(failing) > 12 else "")
        note = NOTES.get(suite, "")
        lines.append(f"| {suite}{(' — ' + note) if note else ''} | {sum(res.values())} | {len(res)} | {shown} |")
    return "\n".join(lines) + "\n"


def write() -> None:
    if not RESULTS:
        return
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(table(), encoding="utf-8")
