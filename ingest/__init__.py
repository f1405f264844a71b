"""Deliberation ingester: read SCDL CSV / documents / JSON records, extract and link entities with spaCy and the
graph's own vocabulary, tag engagements and champs d'intervention with evidence, store ELI + Web Annotations."""

TAGGER_NAME = "boussole-tagger"
TAGGER_VERSION = "1.1.0"
