"""Boussole: the knowledge graph and SPARQL service of the Projet de Territoire 2024-2044 of La Porte du Hainaut."""

__version__ = "0.1.0"
