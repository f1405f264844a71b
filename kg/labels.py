"""The normalised form of a label, for matching: analysts type « Culture pour tous » or « 50% d'autonomie » while the
documents print « CULTURE POUR TOUS » and « 50% d’autonomie ». The build stores it as ``bsl:libelleNormalise``
next to every ``skos:prefLabel``/``skos:altLabel``/``bsl:intitule``; the printed label stays as it is."""

from __future__ import annotations

import re
import unicodedata

_GUILLEMETS = re.compile(r"«\s*|\s*»")
# typographic apostrophes, quotes, spaces and dashes → their plain form
_PLAIN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "–": "-", "—": "-", "‑": "-"})


def normalise_label(text: str) -> str:
    """Lower case, no accents, straight apostrophes and quotes (« » → "…" without the inner spaces), single
    spaces: ``« L’Europe verte »`` → ``"l'europe verte"``; ``DÉVELOPPER L’AUTONOMIE`` → ``developper l'autonomie``."""
    quoted = _GUILLEMETS.sub('"', text).translate(_PLAIN)
    decomposed = unicodedata.normalize("NFKD", quoted.replace("œ", "oe").replace("Œ", "OE"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())
