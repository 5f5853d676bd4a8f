"""Extraction: news articles -> evidence-backed statements (rules over spaCy parses).

Public API: :data:`EXTRACTOR_VERSION`, :func:`inputs_digest`, :func:`load_spacy`,
:class:`Extractor`.
"""

from graph_builder.extract.extractor import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    Extractor,
    inputs_digest,
)
from graph_builder.extract.nlp import load_spacy

__all__ = ["EXTRACTOR_NAME", "EXTRACTOR_VERSION", "Extractor", "inputs_digest", "load_spacy"]
