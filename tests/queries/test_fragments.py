"""Shared SPARQL fragments: every query that carries a copy carries the fragment itself; the rewriter keeps it so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from queries import fragments
from queries.fragments import FragmentError
from queries.fragments import __main__ as fragments_cli

RULE = "etiquette-en-vigueur"
# the queries that read deliberations' current tags (issue 16: the 13 questions and 4 pages' queries of the rule)
READERS = {
    "actions-feuille-de-route-sans-deliberation", "budget-et-deliberations-par-engagement",
    "communes-prioritaires-sans-engagement-1", "deliberations-sans-engagement", "desaccords-modele-humain",
    "equite-engagement-1-par-commune", "etiquettes-modele-score-faible", "file-de-revue",
    "referentiel-sans-deliberation", "repartition-par-annee", "repartition-par-champ", "repartition-par-commune",
    "repartition-par-engagement", "annotations", "communes_effort", "current_tags", "share_by_year",
}


def test_every_copy_is_the_fragment() -> None:
    stale = fragments.stale()
    assert not stale, ("copies differ from queries/fragments/: run `python -m queries.fragments` — "
                       + ", ".join(str(p) for p in stale))
    # desaccords-modele-humain reads the human decision alone: the fragment that etiquette-en-vigueur carries
    assert {p.stem for p in fragments.carriers()} == READERS | {RULE}
    assert "decision-humaine-en-vigueur" in fragments.pattern(RULE)


def test_each_carrier_declares_the_prefixes_the_fragment_uses() -> None:
    needed = fragments.prefixes(RULE)
    assert set(needed) == {"oa", "prov", "bsl"}
    for path in fragments.carriers():
        declared = dict(re.findall(r"^PREFIX\s+([\w.-]*):\s*<([^>]*)>", path.read_text(encoding="utf-8"), re.M))
        assert {p: declared.get(p) for p in needed} == needed, path


def test_the_latest_decision_is_computed_only_inside_copies() -> None:
    """The distinctive part of the rule (the latest human decision of a deliberation) appears nowhere else."""
    for path in [p for d in fragments.COPY_DIRS if d != fragments.FRAGMENTS_DIR for p in d.glob("*.rq")]:
        outside = re.sub(r"# BEGIN (\S+).*?# END \1", "", path.read_text(encoding="utf-8"), flags=re.S)
        assert "AS ?derniere)" not in outside, path


def test_expand_rewrites_an_edited_copy_at_its_indentation() -> None:
    body = fragments.pattern(RULE)
    text = f"SELECT * WHERE {{\n    # BEGIN {RULE} (copy)\n    {{ ?a ?b ?c }}\n    # END {RULE}\n}}\n"
    out = fragments.expand(text)
    inner = out.split(f"# BEGIN {RULE} (copy)\n", 1)[1].split(f"    # END {RULE}", 1)[0]
    assert inner == "".join("    " + line if line.strip() else line for line in body.splitlines(keepends=True))
    assert fragments.expand(out) == out


@pytest.mark.parametrize(("text", "message"), [
    (f"{{\n  # BEGIN {RULE}\n  ?a ?b ?c\n}}\n", rf"q\.rq:2: « # BEGIN {RULE} » without « # END {RULE} »"),
    (f"{{\n  # END {RULE}\n}}\n", r"q\.rq:2: « # END » without its « # BEGIN »"),
    ("{\n  # BEGIN nulle-part\n  # END nulle-part\n}\n", r"q\.rq:2: no fragment 'nulle-part'"),
    (f"{{\n  # BEGIN {RULE}\n  # BEGIN {RULE}\n  # END {RULE}\n}}\n", rf"q\.rq:3: « # BEGIN {RULE} » inside its own"),
])
def test_malformed_markers_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(FragmentError, match=message):
        fragments.expand(text, "q.rq")


def test_rewrite_repairs_a_stale_file_and_the_check_names_it(tmp_path: Path, capsys) -> None:
    good = fragments.carriers()[0].read_text(encoding="utf-8")
    path = tmp_path / "edited.rq"
    path.write_text(good.replace('"remplace"', '"remplacé"', 1), encoding="utf-8")
    assert fragments.stale([path]) == [path]
    assert fragments.rewrite([path]) == [path]
    assert path.read_text(encoding="utf-8") == good
    assert fragments.stale([path]) == []
    assert fragments_cli.main(["--check"]) == 0
    assert "every copy is current" in capsys.readouterr().out


def test_select_builds_a_complete_query_from_the_fragment() -> None:
    text = fragments.select(RULE, "?d ?a")
    assert text.startswith("PREFIX oa: <http://www.w3.org/ns/oa#>\n")
    assert "SELECT ?d ?a WHERE {\n" + fragments.pattern(RULE) + "}\n" in text
