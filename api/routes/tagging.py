"""The learned tagger through the API: which model tags (``GET /tagging/model``) and retraining on demand
(``POST /tagging/train``, write token): the committed labelled data plus every human decision of the store, like
``boussole train``. Training runs in a background thread (one at a time) and reads the store without taking the
write lock, so queries and writes go on; when it ends, the new model file replaces the old one atomically and the
ingester tags with it from the next deliberation on."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.routes.deliberations import writable_backend
from kg.errors import InvalidRequest


class _Training:
    """State of the one training job of this process."""

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.last: dict[str, Any] = {}

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


def _model_info() -> dict[str, Any]:
    from ingest import model_path
    from ingest.model import load

    path = model_path()
    model = load(path)
    if model is None:
        return {"modele": None, "fichier": str(path)}
    return {"modele": f"boussole-tagger {model.version}", "fichier": str(path), "temperature": model.temperature,
            "appris_sur": model.trained_on}


def _router() -> APIRouter:
    routes = APIRouter()
    state = _Training()

    @routes.get("/tagging/model")
    async def model(request: Request):
        """The model that tags, what it learnt from, and the state of the last training."""
        info = await asyncio.to_thread(_model_info)
        info["entrainement"] = {"en_cours": state.running, **state.last}
        return JSONResponse(info)

    @routes.post("/tagging/train")
    async def train(request: Request, staff_weight: float = 3.0):
        """Retrain on the committed data and the store's human decisions (202: started; 409: one is running)."""
        backend = writable_backend(request)     # the write token, the embedded store (the staff's decisions)
        if not 0.0 <= staff_weight <= 100.0:
            raise InvalidRequest("staff_weight must be between 0 and 100")
        if state.running:
            return JSONResponse({"statut": "en cours", **state.last}, status_code=409)

        def prepare(store):
            # the spaCy pipeline is shared with the ingester: the analysis runs as one writer among the others
            from ingest.pipeline import ingester_for
            from ingest.training import prepare as featurise

            return featurise(store, staff_weight, ingester=ingester_for(store))

        def fit(data, n_staff) -> dict[str, Any]:
            from ingest.pipeline import reload_model
            from ingest.training import finish

            m = finish(data, n_staff, staff_weight=staff_weight)
            reload_model()
            return {"modele": f"boussole-tagger {m.version}", "decisions": m.trained_on["staff_decisions"],
                    "exemples": m.trained_on["examples"]}

        async def job() -> None:
            try:
                data, n_staff = await backend.write(prepare)
                result = await asyncio.to_thread(fit, data, n_staff)   # the CPU-heavy part, outside the write lock
                state.last = {"statut": "termine", "fin": _now(), **result}
            except Exception as exc:  # noqa: BLE001 - reported on GET /tagging/model, the old model stays
                state.last = {"statut": "echec", "fin": _now(), "erreur": str(exc)[:500]}

        state.last = {"statut": "en cours", "debut": _now()}
        state.task = asyncio.create_task(job())
        return JSONResponse({"statut": "demarre", "suivi": "/tagging/model"}, status_code=202)

    return routes


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


router = _router()
