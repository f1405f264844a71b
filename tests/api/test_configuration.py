"""One configuration: a ``base_iri`` set only in the TOML file changes every IRI the service mints and shows
(ingest through the API, linked data, the pages, the service description), and the precedence holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_testlib import TOKEN, in_process

from api.app import create_app
from api.settings import Settings
from kg import iris

BASE = "http://example.org/territoire/"
RECORD = {
    "COLL_NOM": "CA de la Porte du Hainaut", "COLL_SIRET": "20004219000017", "DELIB_ID": "CONF-2025-001",
    "DELIB_DATE": "2025-03-17", "DELIB_MATIERE_CODE": "8.5", "DELIB_MATIERE_NOM": "Politique de la ville",
    "DELIB_OBJET": "Attribution d'une subvention pour la rénovation énergétique de logements sociaux à Denain",
}


@pytest.fixture()
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("BOUSSOLE_BASE_IRI", "BOUSSOLE_CONFIG", "BOUSSOLE_WRITE_TOKEN", "BOUSSOLE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    previous = iris.base_iri()
    yield
    iris.configure(previous)


def _toml(tmp: Path, **values: str) -> Path:
    path = tmp / "boussole.toml"
    path.write_text("[serve]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()), encoding="utf-8")
    return path


def test_precedence_defaults_toml_environment_arguments(tmp_path: Path, clean_environment: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = _toml(tmp_path, base_iri="http://toml.example/id", public_url="http://toml.example")
    assert Settings.load(config, store_path=tmp_path).base_iri == "http://toml.example/id/"
    assert Settings.load(None, store_path=tmp_path).base_iri == iris.DEFAULT_BASE_IRI
    monkeypatch.setenv("BOUSSOLE_BASE_IRI", "http://env.example/id/")
    settings = Settings.load(config, store_path=tmp_path)
    assert settings.base_iri == "http://env.example/id/" and settings.public_url == "http://toml.example"
    assert Settings.load(config, store_path=tmp_path, public_url="http://cli.example").public_url == "http://cli.example"


def test_the_model_path_is_a_setting_the_service_and_the_command_line_pass_down(
        tmp_path: Path, clean_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """``model_path`` (TOML) or ``BOUSSOLE_MODEL``, read by the settings only, reaches the tagger (``ingest``)
    through ``create_app`` and through the ``boussole`` command's callback."""
    from typer.testing import CliRunner

    import ingest
    from boussole.cli import app

    config = _toml(tmp_path, model_path=str(tmp_path / "toml.joblib"))
    assert Settings.load(None, need_store=False).model_path == ingest.DEFAULT_MODEL_PATH
    assert Settings.load(config, need_store=False).model_path == tmp_path / "toml.joblib"
    monkeypatch.setenv("BOUSSOLE_MODEL", str(tmp_path / "env.joblib"))
    assert Settings.load(config, need_store=False).model_path == tmp_path / "env.joblib"
    monkeypatch.delenv("BOUSSOLE_MODEL")
    previous = ingest.model_path()
    try:
        create_app(Settings.load(config, store_path=tmp_path / "store"))
        assert ingest.model_path() == tmp_path / "toml.joblib"
        ingest.configure_model(previous)
        monkeypatch.setenv("BOUSSOLE_CONFIG", str(config))
        done = CliRunner().invoke(app, ["coherence", "list"])
        assert done.exit_code == 0, done.output
        assert ingest.model_path() == tmp_path / "toml.joblib"
    finally:
        ingest.configure_model(previous)


@pytest.mark.anyio
async def test_a_base_iri_in_the_toml_file_changes_every_minted_iri(tmp_path: Path, clean_environment: None) -> None:
    settings = Settings.load(_toml(tmp_path, base_iri=BASE, write_token=TOKEN), store_path=tmp_path / "store",
                             workers=1)
    async with in_process(create_app(settings)) as c:
        posted = await c.post("/deliberations", json=RECORD, headers={"Authorization": f"Bearer {TOKEN}"})
        assert posted.status_code == 201, posted.text
        iri = posted.json()["deliberations"][0]
        assert iri.startswith(BASE)  # minted by the ingest, which reads no environment
        path = iri[len(BASE):]
        ttl = await c.get(f"/id/{path}", headers={"Accept": "text/turtle"})
        assert ttl.status_code == 200 and "boussole.agglo-porteduhainaut.fr/id/" not in ttl.text
        html = await c.get(f"/id/{path}", headers={"Accept": "text/html"})  # the one page of the resource
        assert html.status_code == 200 and "Denain" in html.text and "rénovation énergétique" in html.text
        assert (await c.get(f"/fiche/{path}")).headers["location"] == f"/id/{path}"  # its former address
        description = await c.get("/sparql", headers={"Accept": "application/n-triples"})
        assert f'"{BASE}"' in description.text and "boussole.agglo-porteduhainaut.fr/id/" not in description.text
        assert f'"{BASE}"' in (await c.get("/ui")).text  # the id: prefix the query UI declares
