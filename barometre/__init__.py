"""The baromètre: indicator definitions, imported values (W3C Data Cube), the budget by M57 function.

Data flows one way: CSV / YAML / Turtle files → validated RDF → their own named graphs (``graph/observations``,
``graph/indicateurs``, ``graph/budget``), which ``boussole build`` does not own and therefore keeps.
"""
