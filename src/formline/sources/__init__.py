"""Source plumbing that every domain's readers share (:mod:`formline.sources.cells`: a CSV file
read as text cells within the ingest bounds, and the rejects found while parsing it). It knows
no domain; each domain says how its files are read with a
:class:`~formline.sources.cells.CsvRules`."""
