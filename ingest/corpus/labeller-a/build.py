"""Build the development corpus (items.csv, labels-a.csv, textes/) from labeller A's hand-written sources.

The objets and the specific parts of the full texts (visas, exposé, considérants, articles) are written by hand in
``objets-*.txt`` and ``textes-*.txt``; this script only assigns issuers and ids, applies export-style surface quirks to
a minority of objets (casing, stripped accents, underscores, internal codes, truncation), wraps the full texts in the
boilerplate of a real extract (letterhead, séance, vote, signature, stamps, scan artefacts) and chooses the blind
split. Quirks depend on a seeded random draw, never on the label.
"""
from __future__ import annotations

import csv
import random
import re
import sys
import textwrap
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
SEED = 20261203

SOURCES = {
    "CR": "commune-rurale", "CM": "commune-moyenne", "GV": "grande-ville", "CC": "communaute-communes",
    "CA": "communaute-agglomeration", "CU": "communaute-urbaine", "MET": "metropole",
    "SEA": "syndicat-eau-assainissement", "SEN": "syndicat-energie", "SDC": "syndicat-dechets",
    "SMT": "syndicat-mixte-transports", "SIV": "sivu-sivom", "PNR": "pnr", "DEP": "departement", "REG": "region",
    "CCAS": "ccas", "EP": "etablissement-public",
}

ISSUERS = {
    "CR": [
        ("Commune de Lantenay", "1 place de la Mairie, 21370 Lantenay"),
        ("Commune de Sainte-Croix-en-Jarez", "Le Bourg, 42800 Sainte-Croix-en-Jarez"),
        ("Commune de Vernou-en-Sologne", "2 rue de la Mairie, 41230 Vernou-en-Sologne"),
        ("Commune de La Bastide-de-Sérou", "Place de la Mairie, 09240 La Bastide-de-Sérou"),
        ("Commune de Rosières-en-Haye", "5 Grande Rue, 54385 Rosières-en-Haye"),
        ("Commune de Plouvien", "Place de la Gare, 29860 Plouvien"),
        ("Commune de Saint-Pierre-de-Chartreuse", "Place de la Mairie, 38380 Saint-Pierre-de-Chartreuse"),
    ],
    "CM": [
        ("Ville de Montbrison", "Hôtel de Ville, 42600 Montbrison"),
        ("Ville de Pontivy", "4 rue François Mitterrand, 56300 Pontivy"),
        ("Ville de Saint-Gaudens", "Place du Marechal Foch, 31800 Saint-Gaudens"),
        ("Ville de Lunel", "240 avenue Victor Hugo, 34400 Lunel"),
        ("Ville de Vierzon", "Place de l'Hôtel de Ville, 18100 Vierzon"),
        ("Ville de Millau", "17 avenue de la République, 12100 Millau"),
        ("Ville d'Auch", "Place de la Libération, 32000 Auch"),
    ],
    "GV": [
        ("Ville de Rennes", "Place de la Mairie, 35000 Rennes"),
        ("Ville de Grenoble", "11 boulevard Jean Pain, 38000 Grenoble"),
        ("Ville de Dijon", "Place de la Libération, 21000 Dijon"),
        ("Ville de Tours", "1-3 rue des Minimes, 37000 Tours"),
        ("Ville de Montpellier", "1 place Georges Frêche, 34000 Montpellier"),
        ("Ville de Nantes", "2 rue de l'Hôtel de Ville, 44000 Nantes"),
    ],
    "CC": [
        ("Communauté de communes Cœur de Savoie", "Zone Alpespace, 73800 Porte-de-Savoie"),
        ("Communauté de communes du Clunisois", "5 rue du Pont de la Levée, 71250 Cluny"),
        ("Communauté de communes Bièvre Isère", "1 avenue Roland Garros, 38590 Saint-Étienne-de-Saint-Geoirs"),
        ("Communauté de communes du Pays de Saint-Éloy", "Rue du Château, 63700 Saint-Éloy-les-Mines"),
        ("Communauté de communes Causses et Vallée de la Dordogne", "Avenue de l'Europe, 46200 Souillac"),
    ],
    "CA": [
        ("Grand Dax Agglomération", "20 avenue de la Gare, 40100 Dax"),
        ("Agglo du Pays de Dreux", "4 rue de Châteaudun, 28100 Dreux"),
        ("Montluçon Communauté", "1 rue Eugène Sue, 03100 Montluçon"),
        ("Quimper Bretagne Occidentale", "44 place Saint-Corentin, 29000 Quimper"),
        ("Communauté d'agglomération du Saint-Quentinois", "58 boulevard Victor Hugo, 02100 Saint-Quentin"),
    ],
    "CU": [
        ("Communauté urbaine Caen la Mer", "16 rue Rosa Parks, 14027 Caen"),
        ("Communauté urbaine du Grand Poitiers", "84 rue des Carmélites, 86000 Poitiers"),
        ("Le Mans Métropole - Communauté urbaine", "Place Saint-Pierre, 72000 Le Mans"),
        ("Communauté urbaine du Grand Reims", "3 rue Eugène Desteuque, 51100 Reims"),
        ("Communauté urbaine Creusot Montceau", "Château de la Verrerie, 71200 Le Creusot"),
    ],
    "MET": [
        ("Rennes Métropole", "4 avenue Henri Fréville, 35000 Rennes"),
        ("Grenoble-Alpes Métropole", "3 rue Malakoff, 38000 Grenoble"),
        ("Nantes Métropole", "2 cours du Champ de Mars, 44000 Nantes"),
        ("Montpellier Méditerranée Métropole", "50 place Zeus, 34000 Montpellier"),
        ("Brest métropole", "24 rue Coat-ar-Guéven, 29200 Brest"),
        ("Dijon Métropole", "40 avenue du Drapeau, 21000 Dijon"),
    ],
    "SEA": [
        ("Syndicat Eaux de Vienne - Siveer", "55 rue de Bonneuil-Matours, 86000 Poitiers"),
        ("SIAEP du Nord-Est Creusois", "Mairie, 23600 Boussac"),
        ("SIAH du Croult et du Petit Rosne", "Rue de l'Eau et des Enfants, 95500 Bonneuil-en-France"),
        ("Syndicat mixte Eau et Assainissement du Lot", "Place Chapou, 46000 Cahors"),
        ("SMEA du Bassin de la Vire", "Rue des Écoles, 14500 Vire"),
    ],
    "SEN": [
        ("SDEHG - Syndicat départemental d'énergie de la Haute-Garonne", "9 rue des Trente-Six Ponts, 31400 Toulouse"),
        (
            "SYDEV - Syndicat départemental d'énergie et d'équipement de la Vendée",
            "3 rue du Maréchal Juin, 85000 La Roche-sur-Yon",
        ),
        ("Territoire d'énergie Cher (SDE 18)", "Rue de la Chappe, 18000 Bourges"),
        ("SIEL - Territoire d'énergie Loire", "5 rue Charles de Gaulle, 42021 Saint-Étienne"),
        ("SDEE de la Lozère", "Avenue de la Gare, 48000 Mende"),
    ],
    "SDC": [
        ("SMICTOM Centre Ouest Ille-et-Vilaine", "Rue de la Mézière, 35360 Montauban-de-Bretagne"),
        ("SYBERT", "4 rue Gabriel Plançon, 25000 Besançon"),
        ("SICTOM Pézenas-Agde", "Route de Tourbes, 34120 Pézenas"),
        ("Syndicat Valcobreizh", "Rue des Métiers, 35330 Maure-de-Bretagne"),
        ("SMITOM du Lombric", "Rue du Tertre de Chérisy, 77000 Vaux-le-Pénil"),
    ],
    "SMT": [
        ("Syndicat mixte des mobilités de l'aire grenobloise (SMMAG)", "3 rue Malakoff, 38000 Grenoble"),
        ("Tisséo Collectivités", "7 esplanade Compans-Caffarelli, 31000 Toulouse"),
        ("SYTRAL Mobilités", "21 boulevard Vivier-Merle, 69003 Lyon"),
        (
            "Syndicat mixte des transports en commun de l'agglomération clermontoise (SMTC-AC)",
            "17 boulevard Maurice Pourchon, 63000 Clermont-Ferrand",
        ),
    ],
    "SIV": [
        ("SIVOM de la Vallée de l'Yerres et des Sénarts", "Rue du Moulin, 91480 Varennes-Jarcy"),
        ("SIVU scolaire des Trois Rivières", "Mairie, 24350 Tocane-Saint-Apre"),
        ("SIVU Enfance-Jeunesse Rives du Lot", "Mairie, 47300 Pujols"),
        ("SIVOM du Haut-Quercy", "Place de la Halle, 46500 Gramat"),
        ("SIVU de la piscine intercommunale du Val d'Ain", "Mairie, 01150 Lagnieu"),
    ],
    "PNR": [
        ("Syndicat mixte du Parc naturel régional du Vercors", "255 chemin des Fusillés, 38250 Lans-en-Vercors"),
        ("Syndicat mixte du Parc naturel régional des Volcans d'Auvergne", "Château Montlosier, 63970 Aydat"),
        ("Parc naturel régional du Morvan", "Maison du Parc, 58230 Saint-Brisson"),
        (
            "Syndicat mixte du Parc naturel régional du Haut-Languedoc",
            "1 place du Foirail, 34220 Saint-Pons-de-Thomières",
        ),
    ],
    "DEP": [
        ("Département de la Gironde", "1 esplanade Charles de Gaulle, 33074 Bordeaux"),
        ("Conseil départemental du Gers", "81 route de Pessan, 32022 Auch"),
        ("Département de l'Isère", "7 rue Fantin-Latour, 38022 Grenoble"),
        ("Conseil départemental de la Mayenne", "39 rue Mazagran, 53000 Laval"),
        ("Département de Meurthe-et-Moselle", "48 esplanade Jacques Baudot, 54035 Nancy"),
    ],
    "REG": [
        ("Région Bretagne", "283 avenue du Général Patton, 35711 Rennes"),
        ("Région Occitanie / Pyrénées-Méditerranée", "22 boulevard du Maréchal Juin, 31406 Toulouse"),
        ("Région Centre-Val de Loire", "9 rue Saint-Pierre-Lentin, 45041 Orléans"),
        ("Région Grand Est", "1 place Adrien Zeller, 67070 Strasbourg"),
        ("Région Normandie", "Abbaye-aux-Dames, 14035 Caen"),
    ],
    "CCAS": [
        ("CCAS de Lorient", "Hôtel de Ville, 56100 Lorient"),
        ("CCAS de Poitiers", "1 place Maréchal Leclerc, 86000 Poitiers"),
        ("CCAS de Bourges", "Rue Gambon, 18000 Bourges"),
        ("CCAS de Chambéry", "Place de l'Hôtel de Ville, 73000 Chambéry"),
    ],
    "EP": [
        ("Établissement public foncier de Bretagne", "72 boulevard Albert 1er, 35200 Rennes"),
        ("EPF Occitanie", "1025 rue Henri Becquerel, 34000 Montpellier"),
        ("Office de tourisme intercommunal Vallée de la Dordogne (EPIC)", "Place de la Poste, 46200 Souillac"),
        ("Caisse des écoles de la Ville de Tours", "1-3 rue des Minimes, 37000 Tours"),
        ("Établissement public du Marais poitevin", "1 rue Richelieu, 85400 Luçon"),
    ],
}

PLACE_KEYS = {  # (source, place word in the objet or text) -> index of the issuer in ISSUERS[source]
    ("CR", "Plouvien"): 5,
    ("CM", "Montbrison"): 0,
    ("CM", "Lunel"): 3,
    ("CM", "Moingt"): 0,
    ("CM", "Pontivy"): 1,
    ("GV", "Rennes"): 0,
    ("GV", "Courrouze"): 0,
    ("GV", "Villejean"): 0,
    ("GV", "Maurepas"): 0,
    ("GV", "Cleunay"): 0,
    ("GV", "Bréquigny"): 0,
    ("GV", "Champs Libres"): 0,
    ("GV", "Grenoble"): 1,
    ("GV", "Villeneuve"): 1,
    ("GV", "Teisseire"): 1,
    ("GV", "Jacques Demy"): 5,
    ("GV", "Baud-Chardonnet"): 0,
    ("GV", "Flaubert"): 0,
    ("GV", "Jeanne d'Arc"): 3,
    ("CC", "Cluny"): 1,
    ("CC", "Clunisois"): 1,
    ("CC", "Saint-Eloy"): 3,
    ("CC", "Saint-Éloy"): 3,
    ("CC", "Montmélian"): 0,
    ("CC", "Savoie"): 0,
    ("CC", "Chamousset"): 0,
    ("CC", "Chignin"): 0,
    ("CC", "Souillac"): 4,
    ("CC", "Vézac"): 4,
    ("CC", "Dordogne"): 4,
    ("CC", "La Bastide"): 3,
    ("CA", "Dreux"): 1,
    ("CA", "Drouais"): 1,
    ("CA", "Eure"): 1,
    ("CA", "Vernouillet"): 1,
    ("CA", "Dax"): 0,
    ("CU", "Caen"): 0,
    ("CU", "Grâce de Dieu"): 0,
    ("CU", "Twisto"): 0,
    ("CU", "Normandika"): 0,
    ("CU", "Claudel"): 0,
    ("CU", "Poitiers"): 1,
    ("CU", "Beaulieu"): 1,
    ("CU", "Montceau"): 4,
    ("CU", "Orne"): 0,
    ("CU", "Leroy"): 0,
    ("CU", "Nouveau Monde"): 0,
    ("CU", "Biocodex"): 3,
    ("CU", "Koenigsberg"): 3,
    ("MET", "Nantes"): 2,
    ("MET", "Gohards"): 2,
    ("MET", "Doulon"): 2,
    ("MET", "Baud-Chardonnet"): 2,
    ("MET", "Erdre"): 2,
    ("MET", "Bouguenais"): 2,
    ("MET", "Ile de Nantes"): 2,
    ("MET", "Loire"): 2,
    ("MET", "Rennes"): 0,
    ("MET", "Courrouze"): 0,
    ("MET", "Chantepie"): 0,
    ("MET", "Viasilva"): 0,
    ("MET", "Janais"): 0,
    ("MET", "Atalante"): 0,
    ("MET", "Trans Musicales"): 0,
    ("MET", "Citédia"): 2,
    ("MET", "Mangin"): 2,
    ("MET", "Porte des Alpes"): 1,
    ("MET", "Brest"): 4,
    ("MET", "Sœuvres"): 0,
    ("SEA", "Vienne"): 0,
    ("SEA", "Clain"): 0,
    ("SEA", "Gençay"): 0,
    ("SEA", "Montmorillon"): 0,
    ("SEA", "Rosne"): 2,
    ("SEA", "Champagné"): 0,
    ("SEN", "Blagnac"): 0,
    ("SEN", "Luzenac"): 0,
    ("SEN", "Vendée"): 1,
    ("SDC", "Pézenas"): 2,
    ("SMT", "grenobl"): 0,
    ("SMT", "clermontois"): 3,
    ("SMT", "Chronobus"): 2,
    ("DEP", "Gironde"): 0,
    ("DEP", "Langon"): 0,
    ("DEP", "Gers"): 1,
    ("DEP", "Nogaro"): 1,
    ("DEP", "Cazaubon"): 1,
    ("DEP", "Mirande"): 1,
    ("DEP", "Mayenne"): 3,
    ("DEP", "Vourey"): 2,
    ("DEP", "Isère"): 2,
    ("DEP", "RD 1113"): 0,
    ("DEP", "Saint-Jean-de-Braye"): 0,
    ("DEP", "Montesquieu"): 1,
    ("REG", "Bretagne"): 0,
    ("REG", "Ploërmel"): 0,
    ("REG", "Guingamp"): 0,
    ("REG", "Lorient"): 0,
    ("REG", "Quimper"): 0,
    ("REG", "Vieilles Charrues"): 0,
    ("REG", "Morbihan"): 0,
    ("REG", "Occitanie"): 1,
    ("REG", "Ad'Occ"): 1,
    ("REG", "AD'OCC"): 1,
    ("REG", "Avignon"): 1,
    ("REG", "Nantes-Bordeaux"): 2,
    ("PNR", "Vercors"): 0,
    ("PNR", "Lans-en-Vercors"): 0,
    ("PNR", "Cure"): 2,
    ("PNR", "Isère"): 0,
    ("EP", "Plouvien"): 0,
    ("EP", "Pontivy"): 0,
    ("EP", "Lorient"): 0,
    ("EP", "Marais"): 4,
    ("EP", "marais"): 4,
    ("EP", "Office de tourisme"): 2,
    ("EP", "office de tourisme"): 2,
    ("EP", "Caisse des écoles"): 3,
    ("EP", "caisse des écoles"): 3,
    ("EP", "EPF"): 0,
    ("EP", "poissons migrateurs"): 4,
    ("EP", "Taxe de séjour"): 2,
    ("EP", "Tiers-lieu"): 0,
    ("CCAS", "Morbihan"): 0,
}

ASSEMBLY = {  # (title of the extract, signing authority)
    "CR": ("DU CONSEIL MUNICIPAL", "Le Maire"),
    "CM": ("DU CONSEIL MUNICIPAL", "Le Maire"),
    "GV": ("DU CONSEIL MUNICIPAL", "Pour le Maire, l'Adjoint délégué"),
    "CC": ("DU CONSEIL COMMUNAUTAIRE", "Le Président"),
    "CA": ("DU CONSEIL COMMUNAUTAIRE", "Le Président"),
    "CU": ("DU CONSEIL COMMUNAUTAIRE", "Le Président"),
    "MET": ("DU CONSEIL DE LA MÉTROPOLE", "La Présidente"),
    "SEA": ("DU COMITÉ SYNDICAL", "Le Président"),
    "SEN": ("DU COMITÉ SYNDICAL", "Le Président"),
    "SDC": ("DU COMITÉ SYNDICAL", "La Présidente"),
    "SMT": ("DU COMITÉ SYNDICAL", "Le Président"),
    "SIV": ("DU COMITÉ SYNDICAL", "Le Président"),
    "PNR": ("DU COMITÉ SYNDICAL", "La Présidente"),
    "DEP": ("DE LA COMMISSION PERMANENTE", "Le Président du Conseil départemental"),
    "REG": ("DE LA COMMISSION PERMANENTE DU CONSEIL RÉGIONAL", "La Présidente du Conseil régional"),
    "CCAS": ("DU CONSEIL D'ADMINISTRATION", "Le Vice-Président"),
    "EP": ("DU CONSEIL D'ADMINISTRATION", "Le Directeur général"),
}

FIRST = [
    "Jean-Luc",
    "Martine",
    "Philippe",
    "Sylvie",
    "Éric",
    "Nathalie",
    "Thierry",
    "Isabelle",
    "Patrick",
    "Catherine",
    "Laurent",
    "Véronique",
    "Olivier",
    "Sandrine",
    "Pascal",
    "Christine",
    "Hervé",
    "Anne-Marie",
    "Didier",
    "Claire",
]
LAST = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFEBVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "GIRAUD",
    "BONNET",
]

LABEL_RE = re.compile(r"^@\s+(\S+)\s+(\S+)\s+(high|medium|low)(?:\s+(\S*:\S*))?\s*::\s*(.+)$")
OVERRIDE_RE = re.compile(r"^(high|medium|low)?\s*(\S*:\S*)?\s*(?:::\s*(.*))?$")


def check_label(eng: str, champ: str, alts: str, where: str) -> None:
    ok_eng = eng == "none" or re.fullmatch(r"[123](;[123])?", eng)
    ok_champ = (champ == "none") == (eng == "none") and (champ == "none" or champ.split(".")[0] in eng.split(";"))
    ok_alts = all(re.fullmatch(r"(none:none|[123]:[123]\.[1-7])", a) for a in alts.split("|")) if alts else True
    if not (ok_eng and ok_champ and ok_alts and (champ == "none" or champ in CHAMPS)):
        sys.exit(f"{where}: inconsistent label {eng} {champ} {alts}")


CHAMPS = {
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "2.1",
    "2.2",
    "2.3",
    "2.4",
    "2.5",
    "2.6",
    "2.7",
    "3.1",
    "3.2",
    "3.3",
    "3.4",
    "3.5",
}


def parse_label(line: str, where: str) -> dict:
    m = LABEL_RE.match(line)
    if not m:
        sys.exit(f"{where}: bad label line: {line!r}")
    eng, champ, conf, alts, why = m.groups()
    check_label(eng, champ, alts or "", where)
    return {
        "engagements": eng,
        "primary_champ": champ,
        "confidence": conf,
        "alternatives": alts or "",
        "rationale": why.strip(),
    }


def parse_objets(path: Path) -> list[dict]:
    items, label = [], None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name}:{n}"
        if line.startswith("@"):
            label = parse_label(line, where)
            continue
        code, _, rest = line.partition(" ")
        if code not in SOURCES or label is None:
            sys.exit(f"{where}: unknown source or no label: {line!r}")
        objet, _, over = rest.partition(" ~ ")
        lab = dict(label)
        if over.startswith("= "):  # the full label of this line, in the syntax of a block label
            lab = parse_label("@ " + over[2:], where)
        elif over:
            m = OVERRIDE_RE.match(over.strip())
            if not m:
                sys.exit(f"{where}: bad override {over!r}")
            conf, alts, why = m.groups()
            lab["confidence"] = conf or lab["confidence"]
            if alts is not None:
                lab["alternatives"] = "" if alts == "-:-" else alts
            lab["rationale"] = why or lab["rationale"]
            check_label(lab["engagements"], lab["primary_champ"], lab["alternatives"], where)
        items.append({"code": code, "objet": objet.strip(), "label": lab, "text": None, "where": where})
    return items


def parse_textes(path: Path) -> list[dict]:
    items, cur = [], None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name}:{n}"
        if line.startswith("=== "):
            code, _, objet = line[4:].partition(" | ")
            if code not in SOURCES:
                sys.exit(f"{where}: unknown source {code!r}")
            cur = {
                "code": code,
                "objet": objet.strip(),
                "label": None,
                "where": where,
                "text": {"V": [], "E": [], "C": [], "A": []},
            }
            items.append(cur)
        elif line.startswith("@"):
            cur["label"] = parse_label(line, where)
        elif line[:2] in ("V ", "E ", "C ", "A "):
            cur["text"][line[0]].append(line[2:].strip())
        else:
            sys.exit(f"{where}: unexpected line {line!r}")
    return items


# --- export-style surface quirks (applied to a seeded minority of objets, blind to labels) -------------------------


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


HAS_CODE = re.compile(r"^(\S*\d{2}|[A-Z]{1,5}[ _.-]?\d)")


def code_prefix(code: str, rng: random.Random, year: int | None = None) -> str:
    y = year or rng.choice([2021, 2022, 2023, 2024, 2025])
    k = rng.randint(1, 340)
    forms = {
        "CR": [f"D{y}-{k:03d} ", f"DCM_{y}_{k:02d}_", f"{y}/{k:02d} - "],
        "CM": [f"DCM {y}-{k:04d} - ", f"{y}-{k:03d} ", f"DEL{y}_{k:03d} "],
        "GV": [f"DCM {y}-{k:04d} - ", f"{y} DCM {k} ", f"VDL{str(y)[2:]}-{k:03d} "],
        "CC": [f"DEL_{y}_{k:03d}_", f"CC{str(y)[2:]}-{k:03d} ", f"{y}-{k:03d} - "],
        "CA": [f"B{str(y)[2:]}.{k:03d}-", f"C{str(y)[2:]}-{k:03d} ", f"DCC_{y}_{k:03d} "],
        "CU": [f"C-{y}-{k:03d} ", f"CU{y}-{k:03d} - ", f"B-{y}-{k:02d} "],
        "MET": [f"C {y}.{k:03d} ", f"{y}-{k:04d} - ", f"DEL_{y}_{k:03d}_"],
        "SEA": [f"CS{str(y)[2:]}-{k:02d} ", f"DEL{y}-{k:02d} "],
        "SEN": [f"CS-{y}-{k:03d} ", f"B{str(y)[2:]}-{k:02d} "],
        "SDC": [f"CS_{y}_{k:02d}_", f"D{str(y)[2:]}-{k:02d} "],
        "SMT": [f"CS {y}-{k:03d} ", f"DEL-{y}-{k:03d} "],
        "SIV": [f"{y}-{k:02d} ", f"DEL_{k:02d}_{y} "],
        "PNR": [f"CS{str(y)[2:]}-{k:02d} ", f"B{y}-{k:02d} "],
        "DEP": [f"CP{str(y)[2:]}-{rng.randint(1, 12):02d}-{k:03d} ", f"{y}-CP-{k:04d} ", f"DB{y}-{k:03d} "],
        "REG": [f"CP {y}-{rng.randint(1, 12):02d} / {k:03d} ", f"{str(y)[2:]}_CP_{k:04d}_", f"AP{y}-{k:02d} "],
        "CCAS": [f"CA{str(y)[2:]}-{k:02d} ", f"{y}/{k:02d} "],
        "EP": [f"CA-{y}-{k:02d} ", f"B{str(y)[2:]}-{k:03d} "],
    }
    return rng.choice(forms[code])


def truncate(s: str, rng: random.Random) -> str:
    cut = rng.randint(78, 100)
    return s[:cut] if len(s) > cut + 5 else s


def underscores(s: str) -> str:
    s = strip_accents(s)
    s = re.sub(r"[«»\"'’,;:()]", "", s)
    s = re.sub(r"\s*[-–]\s*", "-", s)
    return re.sub(r"\s+", "_", s.strip())


def quirk(objet: str, code: str, rng: random.Random) -> str:
    kind = rng.choice(
        ["upper", "noaccent", "upper_noaccent", "code", "code_trunc", "underscore", "trunc", "code_upper"]
    )
    if HAS_CODE.match(objet) and kind.startswith(("code", "underscore")):  # already coded by hand: no second code
        kind = "upper_noaccent"
    if kind == "upper":
        return objet.upper()
    if kind == "noaccent":
        return strip_accents(objet)
    if kind == "upper_noaccent":
        return strip_accents(objet).upper()
    if kind == "code":
        return code_prefix(code, rng) + objet
    if kind == "code_trunc":
        return truncate(code_prefix(code, rng) + objet, rng)
    if kind == "underscore":
        return code_prefix(code, rng).strip(" -_").replace(" ", "_") + "_" + underscores(objet)
    if kind == "trunc":
        return truncate(objet, rng) if len(objet) > 85 else objet.upper()
    return (code_prefix(code, rng) + strip_accents(objet)).upper()


# --- full texts ------------------------------------------------------------------------------------------------------

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def hyphen_wrap(text: str, width: int, rng: random.Random, hyphenate: bool) -> str:
    out = []
    for para in text.split("\n"):
        if not para.strip():
            out.append("")
            continue
        lines = textwrap.wrap(para, width)
        if hyphenate:
            fixed = []
            for i, ln in enumerate(lines):
                if i + 1 < len(lines) and rng.random() < 0.25:
                    nxt = lines[i + 1].split(" ", 1)
                    w = nxt[0]
                    if len(w) > 7 and w.isalpha():
                        k = rng.randint(3, len(w) - 3)
                        ln = ln + " " + w[:k] + "-"
                        lines[i + 1] = w[k:] + (" " + nxt[1] if len(nxt) > 1 else "")
                fixed.append(ln)
            lines = fixed
        out.extend(lines)
    return "\n".join(out)


def ocr_noise(text: str, rng: random.Random) -> str:
    subs = [("l'", "I'"), ("rn", "m"), ("é", "e"), (" le ", " Ie "), ("ti", "ti "), ("°", "o"), ("'", " '")]
    for a, b in subs:
        if rng.random() < 0.6:
            idxs = [m.start() for m in re.finditer(re.escape(a), text)]
            for i in rng.sample(idxs, min(len(idxs), rng.randint(1, 3))):
                text = text[:i] + b + text[i + len(a) :] if text[i : i + len(a)] == a else text
    return text


def render_text(item: dict, issuer: tuple[str, str], rng: random.Random) -> str:
    code = item["code"]
    title, signer = ASSEMBLY[code]
    day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.choice([2021, 2022, 2023, 2024, 2025])
    num = code_prefix(code, rng, year).strip(" -_")
    mnum = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ].index(month) + 1
    en_exercice = {"CR": 15, "CM": 29, "GV": 59, "DEP": 46, "REG": 83, "CCAS": 16, "EP": 20}.get(
        code, rng.choice([33, 45, 54, 68, 92])
    )
    presents = en_exercice - rng.randint(1, max(2, en_exercice // 5))
    pouvoirs = rng.randint(0, 5)
    pres = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    sec = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    name, addr = issuer
    t = item["text"]
    head = [
        name.upper() if rng.random() < 0.5 else name,
        addr,
        rng.choice(
            ["Tél. 02 99 86 60 00", "Tel : 04.76.59.59.59", "Tél : 05 62 67 40 40", "standard 03 83 94 54 54", ""]
        ),
        "",
        f"EXTRAIT DU REGISTRE DES DÉLIBÉRATIONS {title}",
        f"Séance du {day} {month} {year}",
        "",
        f"Délibération n° {num}",
        f"Date de convocation : {max(1, day - 6)} {month} {year}  -  Membres en exercice : {en_exercice}  -  "
        f"Présents : {presents}  -  Pouvoirs : {pouvoirs}",
        "",
        f"L'an {year}, le {day} {month}, l'assemblée régulièrement convoquée s'est réunie "
        "au lieu habituel de ses séances, "
        f"sous la présidence de {pres}. Le quorum étant atteint, {sec} a été désigné(e) secrétaire de séance.",
        "",
        f"Objet : {item['objet']}",
        "",
    ]
    article = {
        "CR": "L. 2121-29",
        "CM": "L. 2121-29",
        "GV": "L. 2121-29",
        "DEP": "L. 3211-1",
        "REG": "L. 4221-1",
        "SMT": "L. 5721-1",
        "PNR": "L. 5721-1",
    }.get(code, "L. 5211-1")
    visas = [
        "Vu le Code général des collectivités territoriales"
        + rng.choice(["", f", notamment son article {article}", " (CGCT)"])
        + " ;"
    ]
    if code in ("CCAS", "EP"):
        visas = [
            rng.choice(["Vu le Code de l'action sociale et des familles ;", "Vu les statuts de l'établissement ;"])
            if code == "CCAS"
            else "Vu les statuts de l'établissement ;"
        ]
    visas += [v if v.endswith(";") else v + " ;" for v in t["V"]]
    if rng.random() < 0.5:
        visas.append(
            rng.choice(
                [
                    "Vu l'avis de la commission compétente",
                    "Vu l'avis favorable du Bureau",
                    "Vu l'avis de la commission Finances et Administration générale",
                ]
            )
            + f" en date du {rng.randint(1, 28)} {month} {year} ;"
        )
    body = head + visas + [""] + [e for e in t["E"]] + [""] + [c if c.endswith(";") else c + " ;" for c in t["C"]]
    body += [
        "",
        rng.choice(
            [
                "Après en avoir délibéré, le Conseil DÉCIDE :",
                "LE CONSEIL, APRES EN AVOIR DELIBERE, DECIDE :",
                "Après en avoir délibéré, l'assemblée DÉLIBÈRE et DÉCIDE :",
                "DÉLIBÈRE",
                "DECIDE",
            ]
        ),
        "",
    ]
    for i, a in enumerate(t["A"], 1):
        body.append(f"Article {'1er' if i == 1 else i} : {a}" if rng.random() < 0.5 else f"ARTICLE {i} - {a}")
    body.append(
        f"Article {len(t['A']) + 1} : {signer} est chargé(e) de l'exécution de la présente délibération, "
        "qui peut faire l'objet d'un recours devant le tribunal administratif dans un délai de deux mois "
        "à compter de sa publication."
    )
    pour = presents + pouvoirs
    vote = rng.choice(
        [
            f"Adopté à l'unanimité ({pour} voix).",
            f"Votants : {pour} - Pour : {pour - 3} - Contre : 1 - Abstentions : 2",
            "ADOPTÉ À L'UNANIMITÉ",
            f"Pour : {pour - 1}   Contre : 0   Abstention : 1",
        ]
    )
    body += [
        "",
        vote,
        "",
        "Fait et délibéré les jour, mois et an susdits.",
        "Pour extrait conforme,",
        f"{rng.choice(['A', 'Fait à'])} {addr.split(', ')[-1].split(' ', 1)[-1]}, le {min(28, day + 3)} {month} {year}",
        "",
        signer + ",",
        f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        rng.choice(["[signature]", "(signé)", "[cachet de la collectivité]", ""]),
        "",
        rng.choice(
            [
                f"Accusé de réception en préfecture : 0{rng.randint(10, 95)}-2{rng.randint(10000000, 99999999)}"
                f"-{year}{mnum:02d}{day:02d}-{num.replace(' ', '')}-DE",
                f"Reçu en préfecture le {min(28, day + 4)}/{mnum:02d}/{year}",
                f"Publié le {min(28, day + 5)} {month} {year} - Transmis au contrôle de légalité",
            ]
        ),
    ]
    text = "\n".join(body)
    scanned = rng.random() < 0.35
    text = hyphen_wrap(text, rng.choice([82, 90, 96, 110]), rng, hyphenate=scanned or rng.random() < 0.3)
    if scanned:
        text = ocr_noise(text, rng)
    lines = text.split("\n")
    if len(lines) > 40 and rng.random() < 0.7:
        mid = len(lines) // 2 + rng.randint(-5, 5)
        lines[mid:mid] = ["", f"{name} - Délibération {num} - Page 1/2", "\f", f"Délibération n° {num}  - page 2/2", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    rng = random.Random(SEED)
    items = []
    for p in sorted(HERE.glob("objets-*.txt")):
        items += parse_objets(p)
    for p in sorted(HERE.glob("textes-*.txt")):
        items += parse_textes(p)
    dup = [o for o, c in Counter(i["objet"].casefold() for i in items).items() if c > 1]
    if dup:
        sys.exit(f"duplicate objets: {dup[:20]}")
    rng.shuffle(items)
    # issuers: the one a place name in the item points to, otherwise round robin within each source
    counters: dict[str, int] = defaultdict(int)
    for it in items:
        pool = ISSUERS[it["code"]]
        words = it["objet"] + " " + " ".join(" ".join(v) for v in (it["text"] or {}).values())
        pinned = [pool[i] for (code, key), i in PLACE_KEYS.items() if code == it["code"] and key in words]
        if pinned:
            it["issuer"] = pinned[0]
            continue
        it["issuer"] = pool[counters[it["code"]] % len(pool)]
        counters[it["code"]] += 1
    # quirks on about 22 % of objet-only items (never above 30 %)
    short = [it for it in items if it["text"] is None]
    for it in rng.sample(short, int(0.22 * len(short))):
        it["objet_raw"] = it["objet"]
        it["objet"] = quirk(it["objet"], it["code"], rng)
    seen = Counter(it["objet"] for it in items)
    assert max(seen.values()) == 1, [o for o, c in seen.items() if c > 1]
    # ids and blind split: every 5th item of each source (in id order) is blind
    per_source: dict[str, int] = defaultdict(int)
    (OUT / "textes").mkdir(exist_ok=True)
    for old in (OUT / "textes").glob("*.txt"):
        old.unlink()
    rows, labels = [], []
    for n, it in enumerate(items, 1):
        iid = f"c{n:04d}"
        per_source[it["code"]] += 1
        split = "blind" if per_source[it["code"]] % 5 == 3 else "dev"
        file = ""
        if it["text"] is not None:
            file = f"textes/{iid}.txt"
            body = render_text(it, it["issuer"], rng)
            words = len(body.split())
            if not 150 <= words <= 700:
                sys.exit(f"{it['where']}: full text has {words} words")
            (OUT / file).write_text(body, encoding="utf-8")
        rows.append([iid, SOURCES[it["code"]], it["issuer"][0], it["objet"], file, split])
        lab = it["label"]
        labels.append(
            [iid, lab["engagements"], lab["primary_champ"], lab["confidence"], lab["alternatives"], lab["rationale"]]
        )
    with open(OUT / "items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "source", "collectivite", "objet", "file", "split"])
        w.writerows(rows)
    with open(OUT / "labels-a.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "engagements", "primary_champ", "confidence", "alternatives", "rationale"])
        w.writerows(labels)
    print(
        f"{len(rows)} items, {sum(1 for r in rows if r[4])} full texts, "
        f"{sum(1 for r in rows if r[5] == 'blind')} blind, {len([i for i in items if 'objet_raw' in i])} with quirks"
    )


if __name__ == "__main__":
    main()
