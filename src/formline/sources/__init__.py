"""Source plumbing that every domain's readers share: files read as text cells within the ingest
bounds, and the rejects found while parsing them. It knows no domain; each domain's readers say
how their files are read (:class:`~formline.sources.cells.CsvRules`)."""

from formline.sources.cells import (
    REJECT_COLUMNS,
    CsvRules,
    CsvTable,
    Limits,
    ReadLimits,
    RejectLog,
    read_text,
)

__all__ = [
    "REJECT_COLUMNS",
    "CsvRules",
    "CsvTable",
    "Limits",
    "ReadLimits",
    "RejectLog",
    "read_text",
]
