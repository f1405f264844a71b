"""Deliberation ingester: read SCDL CSV / documents / JSON records, extract and link entities with spaCy and the
graph's own vocabulary, tag engagements and champs d'intervention with evidence, store ELI + Web Annotations.

Light on purpose (constants and the configured model file): the service imports it at start-up."""

from pathlib import Path

TAGGER_NAME = "boussole-tagger"
TAGGER_VERSION = "2.0.0"     # the learned model (ingest/model.py); a model retrained on staff decisions adds +staff…
RULES_VERSION = "1.2.0"      # the rules alone (ingest/tagger.py), when no model is used
MODEL_FILE = "boussole-tagger.joblib"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "var" / "model" / MODEL_FILE

_configured = {"model_path": DEFAULT_MODEL_PATH}


def configure_model(path: Path) -> None:
    """Set the tagger model file of this process (the ``model_path`` setting). Called once, from the settings, by
    the entry points (:func:`api.app.create_app`, the ``boussole`` command line); ingest never reads the
    environment."""
    _configured["model_path"] = Path(path)


def model_path() -> Path:
    """The tagger model file: the configured ``model_path`` setting, else ``var/model/boussole-tagger.joblib``."""
    return _configured["model_path"]
