"""The names people read instead of IRIs: one label per resource (French first), its number and types, and French
names for the properties of the vocabularies Boussole uses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.iris import BSL, DCTERMS, ELI, FOAF, OA, ORG, PROV, RDF, RDFS, SKOS
from web.graph import Graph, fiche_url, local_name, path_of, select

# French labels for the properties of external vocabularies (bsl: terms take theirs from the ontology)
PROPERTY_LABELS = {
    RDF + "type": "type",
    SKOS + "prefLabel": "libellé",
    SKOS + "altLabel": "autre libellé",
    SKOS + "hiddenLabel": "libellé caché",
    SKOS + "definition": "définition",
    SKOS + "note": "note",
    SKOS + "scopeNote": "note d'application",
    SKOS + "broader": "fait partie de",
    SKOS + "narrower": "comprend",
    SKOS + "inScheme": "dans le schéma",
    SKOS + "topConceptOf": "élément de tête de",
    SKOS + "notation": "notation",
    SKOS + "exactMatch": "correspondance exacte",
    RDFS + "label": "libellé",
    RDFS + "comment": "commentaire",
    PROV + "wasDerivedFrom": "source",
    PROV + "wasAttributedTo": "attribué à",
    PROV + "generatedAtTime": "produit le",
    DCTERMS + "description": "description",
    DCTERMS + "title": "titre",
    DCTERMS + "creator": "auteur",
    DCTERMS + "identifier": "identifiant",
    DCTERMS + "format": "format",
    ORG + "memberOf": "membre de",
    ORG + "hasMember": "a pour membre",
    ELI + "title": "objet",
    ELI + "date_document": "date",
    ELI + "passed_by": "adoptée par",
    ELI + "is_about": "matière",
    ELI + "id_local": "numéro",
    ELI + "type_document": "type de document",
    OA + "hasTarget": "cible",
    OA + "hasBody": "étiquette",
    FOAF + "name": "nom",
}
# the same links read from the other end (« comprend » rather than « fait partie de (inverse) »)
PROPERTY_LABELS_INVERSE = {
    SKOS + "broader": "comprend",
    BSL + "engagement": "éléments de cet engagement",
    BSL + "champ": "éléments de ce champ",
    BSL + "sert": "servi par",
    BSL + "contributeur": "contributions (comme contributeur)",
    BSL + "cible": "contributions (comme cible)",
    BSL + "contrat": "éléments du contrat",
    BSL + "commune": "situés dans cette commune",
    BSL + "inclut": "inclus dans",
    BSL + "porteSur": "constats",
    BSL + "designe": "mentionné dans",
    ORG + "memberOf": "membres",
    OA + "hasTarget": "étiquettes",
    OA + "hasBody": "étiquetée dans",
    BSL + "zone": "valeurs d'indicateur",
    ELI + "passed_by": "délibérations adoptées",
    BSL + "concerne": "délibérations et éléments qui la concernent",
    BSL + "organisation": "participations",
    BSL + "indicateur": "observations",
    PROV + "wasDerivedFrom": "ressources qui en sont tirées",
    DCTERMS + "isPartOf": "comprend",
}
# well-known values shown by name (EU authority tables)
VALUE_LABELS = {
    "http://publications.europa.eu/resource/authority/resource-type/DEC": "décision",
    "http://publications.europa.eu/resource/authority/resource-type/": "document",
    PROV + "Entity": "entité (provenance)",
    PROV + "Person": "personne",
    PROV + "SoftwareAgent": "logiciel",
    OA + "Annotation": "étiquette",
}
# resources minted without a label, named by the kind their path says
KIND_LABELS = {
    "annotation": "Étiquette", "contribution": "Contribution", "ingestion": "Fichier ingéré", "mention": "Mention",
    "observation": "Observation", "source": "Extrait de source", "agent": "Agent", "personne": "Personne",
}


@dataclass
class Labels:
    label: dict[str, str] = field(default_factory=dict)
    alt: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    numero: dict[str, str] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def of(self, iri: str) -> str:
        if iri in self.label:
            return self.label[iri]
        if iri in PROPERTY_LABELS:
            return PROPERTY_LABELS[iri]
        if iri in VALUE_LABELS:
            return VALUE_LABELS[iri]
        whole = iri.split("#", 1)[0]
        if "/mention/" in whole or ("#" in iri and whole in self.label):
            parent = whole.split("/mention/", 1)[0]
            if parent in self.label:
                return f"Mention dans « {self.label[parent]} »"
        p = path_of(whole)
        if p:
            parts = p.split("/")
            kind = next((KIND_LABELS[x] for x in reversed(parts) if x in KIND_LABELS), None)
            if kind:
                frag = ("#" + iri.split("#", 1)[1]) if "#" in iri else ""
                return f"{kind} {parts[-1][:12]}{frag}"
            return p
        return local_name(iri)

    def link(self, term) -> dict:
        """A term as the templates show it: text, and the page (or external) URL when it is an IRI."""
        if isinstance(term, ox.NamedNode):
            iri = term.value
            return {"text": self.of(iri), "href": href_of(iri), "iri": iri, "numero": self.numero.get(iri)}
        if isinstance(term, ox.Literal):
            dt = term.datatype.value if term.datatype else ""
            return {"text": term.value, "href": None, "iri": None, "lang": term.language,
                    "datatype": local_name(dt) if dt and not dt.endswith(("#string", "#langString")) else None}
        return {"text": "" if term is None else str(term.value), "href": None, "iri": None}


def href_of(iri: str) -> str | None:
    """The page of an IRI; an IRI with a fragment (``ingestion/<hash>#L11``) opens its document at the fragment."""
    if "#" in iri:
        doc, frag = iri.split("#", 1)
        page = fiche_url(doc)
        return f"{page}#{frag}" if page else None
    return fiche_url(iri)


def labels(source: ox.Store | Graph) -> Labels:
    out = Labels()
    for row in select(source, "labels"):
        s = row["s"].value
        lab = row["label"]
        # keep the French label when there are several
        if s not in out.label or (isinstance(lab, ox.Literal) and lab.language == "fr"):
            out.label[s] = lab.value
        if row["alt"] is not None:
            out.alt[s].add(row["alt"].value)
        if row["numero"] is not None:
            out.numero[s] = row["numero"].value
        if row["type"] is not None:
            out.types[s].add(local_name(row["type"].value))
    return out
