"""Boussole's SPARQL 1.1 endpoint and linked-data service (FastAPI + uvicorn over the embedded pyoxigraph store)."""
