"""Deliberation ingester: read SCDL CSV / documents / JSON records, extract and link entities with spaCy and the
graph's own vocabulary, tag engagements and champs d'intervention with evidence, store ELI + Web Annotations."""

TAGGER_NAME = "boussole-tagger"
TAGGER_VERSION = "2.0.0"     # the learned model (ingest/model.py); a model retrained on staff decisions adds +staff…
RULES_VERSION = "1.2.0"      # the rules alone (ingest/tagger.py), when no model is used
