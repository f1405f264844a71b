"""``boussole indicateurs definir FILE``: new indicators, targets, Feuilles de Route and panel sessions (the grid
they filled in), from YAML or Turtle,
checked against the SHACL shapes before anything is written into ``graph/indicateurs``.

A definition file describes whole resources: importing it again changes nothing, importing a changed file replaces
the description of each resource it names. The indicators of the versioned data (``kg/data``) cannot be redefined
here: change them in ``kg/data/barometre/`` and rebuild.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from barometre.referentiel import territories
from barometre.writing import Changes, apply
from ingest.records import slug
from kg.errors import BoussoleError
from kg.iris import BSL, ORG, RDF, SKOS, XSD, base_iri, graph, minted
from kg.sources import SHAPES_FILE
from kg.validate import validate

GRAPH = "indicateurs"
IMPORTED_GRAPHS = ("indicateurs", "observations", "budget", "deliberations", "annotations")
KINDS = {"realisation": "pilotage/indicateurs-de-realisation", "resultat": "pilotage/indicateurs-de-resultats",
         "impact": "pilotage/indicateurs-d-impacts", "eclairage": "pilotage/indicateurs-d-eclairage"}
_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")


class DefinitionError(BoussoleError):
    """A definition file cannot be read or breaks the shapes; the message lists every problem."""


def _p(term: str) -> ox.NamedNode:
    return ox.NamedNode(term)


def _lit(value: Any, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    return ox.Literal(str(value), datatype=_p(datatype)) if datatype else ox.Literal(str(value))


def _path(where: str, value: Any) -> ox.NamedNode:
    text = str(value or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*", text):
        raise DefinitionError(f"{where}: « {text} » n'est pas un chemin d'IRI de Boussole (ex. champ/2-4)")
    return minted(text)


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def from_yaml(path: Path, store: ox.Store) -> list[ox.Triple]:
    """The triples a YAML definition file describes (keys: indicateurs, cibles, feuilles_de_route)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: lecture impossible : {exc}") from exc
    if not isinstance(data, dict) or not set(data) <= {"indicateurs", "cibles", "feuilles_de_route", "seances"}:
        raise DefinitionError(f"{path}: attendu les clés indicateurs, cibles, feuilles_de_route et/ou seances")
    out: list[ox.Triple] = []
    places = territories(store)
    for i, item in enumerate(_list(data.get("indicateurs")), start=1):
        out += _indicator(f"{path.name}: indicateurs[{i}]", item)
    for i, item in enumerate(_list(data.get("feuilles_de_route")), start=1):
        out += _roadmap(f"{path.name}: feuilles_de_route[{i}]", item)
    for i, item in enumerate(_list(data.get("cibles")), start=1):
        out += _target(f"{path.name}: cibles[{i}]", item, places)
    for i, item in enumerate(_list(data.get("seances")), start=1):
        out += _session(f"{path.name}: seances[{i}]", item)
    return out


def _need(where: str, item: Any, *keys: str) -> None:
    if not isinstance(item, dict):
        raise DefinitionError(f"{where}: attendu un objet (clé: valeur)")
    missing = [k for k in keys if item.get(k) in (None, "")]
    if missing:
        raise DefinitionError(f"{where}: clé(s) manquante(s) : {', '.join(missing)}")


def _indicator(where: str, item: dict) -> list[ox.Triple]:
    _need(where, item, "id", "libelle")
    ident = str(item["id"])
    if slug(ident) != ident:
        raise DefinitionError(f"{where}: identifiant « {ident} » : minuscules, chiffres et tirets (ex. {slug(ident)})")
    s = minted(f"indicateur/{ident}")
    t = [(RDF + "type", _p(BSL + "Indicateur")), (SKOS + "prefLabel", _lit(item["libelle"], lang="fr"))]
    if item.get("type"):
        if item["type"] not in KINDS:
            raise DefinitionError(f"{where}: type « {item['type']} » : un de {', '.join(KINDS)}")
        t.append((BSL + "typeIndicateur", minted(KINDS[item["type"]])))
    for key, prop in (("unite", "unite"), ("sens", "sensSouhaite"), ("source", "sourceDonnees")):
        if item.get(key) not in (None, ""):
            t.append((BSL + prop, _lit(item[key])))
    if item.get("definition"):
        t.append((SKOS + "definition", _lit(item["definition"], lang="fr")))
    t += [(BSL + "mesure", _path(where, m)) for m in _list(item.get("mesure"))]
    t += [(BSL + "producteur", _path(where, p)) for p in _list(item.get("producteur"))]
    return [ox.Triple(s, _p(p), o) for p, o in t]


def _roadmap(where: str, item: dict) -> list[ox.Triple]:
    _need(where, item, "id", "libelle", "service", "periode")
    s = minted(f"feuille-de-route/{slug(str(item['id']))}")
    match = _PERIOD.match(str(item["periode"]))
    if not match or int(match.group(2)) - int(match.group(1)) != 2:
        raise DefinitionError(f"{where}: periode « {item['periode']} » : une période de trois ans, ex. 2024-2026")
    service = minted(f"service/{slug(str(item['service']))}")
    out = [ox.Triple(s, _p(RDF + "type"), _p(BSL + "FeuilleDeRoute")),
           ox.Triple(s, _p(SKOS + "prefLabel"), _lit(item["libelle"], lang="fr")),
           ox.Triple(s, _p(BSL + "service"), service),
           ox.Triple(service, _p(RDF + "type"), _p(ORG + "OrganizationalUnit")),
           ox.Triple(service, _p(SKOS + "prefLabel"), _lit(item["service"], lang="fr")),
           ox.Triple(service, _p(ORG + "unitOf"), minted("epci/200042190")),
           ox.Triple(s, _p(BSL + "periodeTriennale"), minted(f"periode/{item['periode']}"))]
    out += [ox.Triple(s, _p(BSL + "actionFlechee"), _path(where, a)) for a in _list(item.get("actions"))]
    for k, jalon in enumerate(_list(item.get("jalons")), start=1):
        _need(f"{where}: jalons[{k}]", jalon, "date", "libelle")
        j = ox.NamedNode(f"{s.value}/jalon/{jalon['date']}")
        out += [ox.Triple(s, _p(BSL + "jalon"), j), ox.Triple(j, _p(RDF + "type"), _p(BSL + "Jalon")),
                ox.Triple(j, _p(SKOS + "prefLabel"), _lit(jalon["libelle"], lang="fr")),
                ox.Triple(j, _p(BSL + "dateAdoption"), _lit(jalon["date"], XSD + "date")),
                ox.Triple(j, _p(BSL + "natureDate"), _lit(jalon.get("nature") or "jalon de mise en œuvre"))]
    return out


def _target(where: str, item: dict, places: dict[str, ox.NamedNode]) -> list[ox.Triple]:
    _need(where, item, "indicateur", "territoire", "valeur", "horizon", "fixee_par")
    zone = places.get(str(item["territoire"]).upper())
    if zone is None:
        raise DefinitionError(f"{where}: territoire inconnu « {item['territoire']} »")
    ident = item.get("id") or f"{item['indicateur']}-{item['territoire']}-{item['horizon']}"
    s = minted(f"cible/{slug(str(ident))}")
    setter = _path(where, item["fixee_par"])
    try:
        value, horizon = float(str(item["valeur"]).replace(",", ".")), int(item["horizon"])
    except ValueError as exc:
        raise DefinitionError(f"{where}: valeur et horizon sont des nombres") from exc
    out = [ox.Triple(s, _p(RDF + "type"), _p(BSL + "ValeurCible")),
           ox.Triple(s, _p(BSL + "indicateur"), minted(f"indicateur/{item['indicateur']}")),
           ox.Triple(s, _p(BSL + "zone"), zone),
           ox.Triple(s, _p(BSL + "valeurCible"), _lit(repr(value), XSD + "decimal")),
           ox.Triple(s, _p(BSL + "horizon"), _lit(horizon, XSD + "integer")),
           ox.Triple(s, _p(BSL + "fixeePar"), setter)]
    if setter.value.startswith(base_iri() + "feuille-de-route/"):
        out.append(ox.Triple(setter, _p(BSL + "fixe"), s))
    if item.get("libelle"):
        out.append(ox.Triple(s, _p(SKOS + "prefLabel"), _lit(item["libelle"], lang="fr")))
    return out


GRID_COLUMNS = {"situation": "situationBarometre", "impacts": "impactsImputables", "acquis": "acquisConsolides",
                "difficultes": "difficultes", "objectifs": "objectifsAmelioration"}


def _session(where: str, item: dict) -> list[ox.Triple]:
    """A panel session of a period and the grid rows it filled in (one per criterion)."""
    _need(where, item, "periode", "date")
    s = minted(f"panel/{item['periode']}/{item['date']}")
    out = [ox.Triple(s, _p(RDF + "type"), _p(BSL + "SeancePanel")),
           ox.Triple(s, _p(BSL + "periodeTriennale"), minted(f"periode/{item['periode']}")),
           ox.Triple(s, _p(BSL + "dateSeance"), _lit(item["date"], XSD + "date")),
           ox.Triple(s, _p(BSL + "instance"), minted("pilotage/panel-barometre-d-impact"))]
    for k, row in enumerate(_list(item.get("lignes")), start=1):
        _need(f"{where}: lignes[{k}]", row, "critere")
        criterion = _path(f"{where}: lignes[{k}]", row["critere"])
        line = ox.NamedNode(f"{s.value}/{criterion.value[len(base_iri()):].replace('/', '-')}")
        out += [ox.Triple(line, _p(RDF + "type"), _p(BSL + "LigneGrille")),
                ox.Triple(line, _p(BSL + "seance"), s), ox.Triple(line, _p(BSL + "critere"), criterion)]
        out += [ox.Triple(line, _p(BSL + prop), _lit(row[key], lang="fr"))
                for key, prop in GRID_COLUMNS.items() if row.get(key)]
    return out


def from_turtle(path: Path) -> list[ox.Triple]:
    try:
        return list(ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=base_iri()))
    except SyntaxError as exc:
        raise DefinitionError(f"{path}:{exc.lineno or '?'}: {exc.args[0] if exc.args else exc}") from exc
    except OSError as exc:
        raise DefinitionError(f"{path}: lecture impossible : {exc}") from exc


def read_definitions(path: Path | str, store: ox.Store) -> list[ox.Triple]:
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return from_yaml(path, store)
    if path.suffix.lower() == ".ttl":
        return from_turtle(path)
    raise DefinitionError(f"{path}: format inconnu : un fichier .yaml, .yml ou .ttl")


def define(store: ox.Store, path: Path | str, shapes_file: Path = SHAPES_FILE) -> dict[str, int]:
    """Validate the definitions of ``path`` with SHACL against the graph, then write them; returns counts."""
    triples = read_definitions(path, store)
    subjects = {t.subject for t in triples if isinstance(t.subject, ox.NamedNode)}
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
        raise DefinitionError(f"{path}: pas de nœud anonyme : nommez chaque ressource (IRI relative)")
    owned = {graph(n) for n in IMPORTED_GRAPHS}
    for s in sorted(subjects, key=lambda n: n.value):
        versioned = [q for q in store.quads_for_pattern(s, _p(RDF + "type"), None, None) if q.graph_name not in owned]
        if versioned:
            raise DefinitionError(f"{path}: <{s.value[len(base_iri()):]}> est défini par les données versionnées "
                                  "(kg/data) : modifiez-le là et reconstruisez")
    target = graph(GRAPH)
    staged = ox.Store()
    staged.extend(q for q in store.quads_for_pattern(None, None, None, None)
                  if q.graph_name not in {graph("deliberations"), graph("annotations"), graph("observations")}
                  and q.subject not in subjects)
    staged.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)
    problems = [v for v in validate(staged, shapes_file)
                if any(v.focus == f"<{s.value[len(base_iri()):]}>" for s in subjects)]
    if problems:
        lines = "\n".join(f"  - {v}" for v in problems)
        raise DefinitionError(f"{path}: {len(problems)} contrainte(s) SHACL non respectée(s), "
                              f"rien n'a été écrit :\n{lines}")
    changes = Changes()
    counts = {"ajoutée": 0, "inchangée": 0, "remplacée": 0}
    for s in subjects:
        old = set(store.quads_for_pattern(s, None, None, target))
        new = {ox.Quad(t.subject, t.predicate, t.object, target) for t in triples if t.subject == s}
        outcome = "ajoutée" if not old else ("inchangée" if old == new else "remplacée")
        counts[outcome] += 1
        changes.remove += sorted(old - new, key=str)
        changes.add += sorted(new - old, key=str)
    apply(store, changes, str(path))
    return counts
