"""The coherence questions of Boussole: documented SPARQL queries (``queries/*.rq``) and the code that runs them."""
