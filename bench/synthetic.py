"""A synthetic graph in Boussole's own model: the real référentiel and territory plus N deliberations with dates,
titles, communes, amounts and model/human tags — for benchmarks at sizes the sources do not reach."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pyoxigraph as ox

from kg.build import build
from kg.iris import BSL, DCTERMS, ELI, OA, PROV, RDF, XSD, base_iri, graph

ENGAGEMENT_CHAMPS = {1: 5, 2: 7, 3: 5}
WORDS = ("aménagement", "subvention", "convention", "rénovation", "piste cyclable", "maison de santé", "friche",
         "médiathèque", "restauration scolaire", "zone d'activités", "réseau de chaleur", "quartier prioritaire")


def _communes(store: ox.Store) -> list[str]:
    rows = store.query("SELECT ?c WHERE { GRAPH ?g { ?c a <%sCommune> } } ORDER BY ?c" % BSL)
    return [row["c"].value for row in rows]


def write_deliberations(n: int, out: Path, communes: list[str], seed: int = 44) -> None:
    """N-Quads of ``n`` deliberations and their tags, deterministic for a given seed."""
    rng = random.Random(seed)
    base = base_iri()
    deliberations, annotations = graph("deliberations").value, graph("annotations").value
    model = base + "agent/tagger-bench"
    with out.open("w", encoding="utf-8") as f:
        def q(s: str, p: str, o: str, g: str) -> None:
            f.write(f"<{s}> <{p}> {o} <{g}> .\n")

        for i in range(n):
            d = f"{base}deliberation/200042190/B{i:07d}"
            year = rng.randint(2021, 2026)
            date = f'"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^<{XSD}date>'
            commune = rng.choice(communes)
            title = f"Délibération {i} : {rng.choice(WORDS)} à {commune.rsplit('/', 1)[-1]}"
            q(d, RDF + "type", f"<{BSL}Deliberation>", deliberations)
            q(d, ELI + "title", f'"{title}"@fr', deliberations)
            q(d, ELI + "date_document", date, deliberations)
            q(d, ELI + "passed_by", f"<{base}epci/200042190>", deliberations)
            q(d, BSL + "concerne", f"<{commune}>", deliberations)
            q(d, BSL + "montant", f'"{rng.randint(1, 5000) * 100}.0"^^<{XSD}decimal>', deliberations)
            if rng.random() < 0.15:  # institutional functioning: no engagement
                continue
            engagement = rng.randint(1, 3)
            champ = rng.randint(1, ENGAGEMENT_CHAMPS[engagement])
            for k, body in enumerate((f"{base}engagement/{engagement}", f"{base}champ/{engagement}-{champ}")):
                a = f"{base}annotation/B{i:07d}-{k}"
                q(a, RDF + "type", f"<{OA}Annotation>", annotations)
                q(a, OA + "hasTarget", f"<{d}>", annotations)
                q(a, OA + "hasBody", f"<{body}>", annotations)
                q(a, OA + "motivatedBy", f"<{OA}classifying>", annotations)
                q(a, BSL + "score", f'"{rng.random():.3f}"^^<{XSD}decimal>', annotations)
                q(a, BSL + "statutRevue", '"propose"', annotations)
                q(a, PROV + "wasAttributedTo", f"<{model}>", annotations)
                q(a, PROV + "generatedAtTime", f'"2026-01-01T00:00:00Z"^^<{XSD}dateTime>', annotations)
                q(a, DCTERMS + "creator", f"<{model}>", annotations)


def make_store(path: Path, n: int) -> Path:
    """Build the real graph into ``path`` and bulk-load ``n`` synthetic deliberations; returns the N-Quads file."""
    build(path)
    store = ox.Store(str(path))
    nquads = path.parent / f"{path.name}-deliberations.nq"
    write_deliberations(n, nquads, _communes(store))
    store.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    return nquads


if __name__ == "__main__":
    target, count = Path(sys.argv[1]), int(sys.argv[2])
    make_store(target, count)
    print(f"{target}: {len(ox.Store.read_only(str(target)))} quads")
