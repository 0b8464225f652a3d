"""Numbers out of written summaries (活动总结): each metric mention a record, traced to its clause.

Correctness over recall: a number becomes a record only when a catalog synonym names its metric in the
same clause and its unit is one the metric accepts. Redacted numbers (``__份``), ``其中`` sub-items,
counts of kinds (``30余种``), ordinals and sessions (``第三十八条``, ``五届五次``), hotlines
(``12365``) and equipment (``两台笔记本电脑``) give nothing. Offsets refer to the text as given
(traditional script and full-width digits are normalised character for character).

The modules, each importing only those above it (tests/test_narrative_vocabulary.py checks it):
    vocabulary    the word lists of metrics/narrative/vocabulary.toml, checked and compiled once
    files         a summary file's text (.txt/.md/.docx), refusals in Chinese
    segmentation  text normalised; reports (篇1…篇N), sentences and clauses
    period        the report's year; a figure of another year
    agency        the reporting body, its place, another body quoted
    vetoes        whether a named number counts as the body's own work
    mentions      the metric mentions of a sentence
    reports       ``extract`` (text → reports) and ``extract_file`` (bytes → the ingest --json shape)
"""

from metrics.narrative.agency import well_formed_agency
from metrics.narrative.files import MAX_TEXT, SUMMARY_EXTENSIONS, load_summary, read_text, refused
from metrics.narrative.mentions import QUANTITY_UNITS, Mention
from metrics.narrative.reports import LAYOUT, Report, extract, extract_file
from metrics.narrative.segmentation import normalise, split_reports

__all__ = [
    "LAYOUT",
    "MAX_TEXT",
    "QUANTITY_UNITS",
    "SUMMARY_EXTENSIONS",
    "Mention",
    "Report",
    "extract",
    "extract_file",
    "load_summary",
    "normalise",
    "read_text",
    "refused",
    "split_reports",
    "well_formed_agency",
]
