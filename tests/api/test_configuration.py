"""One configuration: a ``base_iri`` set only in the TOML file changes every IRI the service mints and shows
(ingest through the API, linked data, the pages, the service description), and the precedence holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings
from api_testlib import TOKEN, in_process
from kg import iris

BASE = "http://example.org/territoire/"
RECORD = {
    "COLL_NOM": "CA de la Porte du Hainaut", "COLL_SIRET": "20004219000017", "DELIB_ID": "CONF-2025-001",
    "DELIB_DATE": "2025-03-17", "DELIB_MATIERE_CODE": "8.5", "DELIB_MATIERE_NOM": "Politique de la ville",
    "DELIB_OBJET": "Attribution d'une subvention pour la rénovation énergétique de logements sociaux à Denain",
}


@pytest.fixture()
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("BOUSSOLE_BASE_IRI", "BOUSSOLE_CONFIG", "BOUSSOLE_WRITE_TOKEN"):
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
        html = await c.get(f"/id/{path}", headers={"Accept": "text/html"})
        assert html.status_code == 200 and "Denain" in html.text
        fiche = await c.get(f"/fiche/{path}")
        assert fiche.status_code == 200 and "rénovation énergétique" in fiche.text
        description = await c.get("/sparql", headers={"Accept": "application/n-triples"})
        assert f'"{BASE}"' in description.text and "boussole.agglo-porteduhainaut.fr/id/" not in description.text
        assert f'"{BASE}"' in (await c.get("/ui")).text  # the id: prefix the query UI declares
