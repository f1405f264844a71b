"""The knowledge graph: versioned sources turned into a validated RDF dataset in a pyoxigraph store."""
