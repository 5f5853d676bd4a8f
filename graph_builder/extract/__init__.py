"""Extraction: news articles -> evidence-backed statements (rules over spaCy parses).

Public API: :data:`EXTRACTOR_VERSION`, :func:`load_spacy`, :class:`Extractor`.
"""

from graph_builder.extract.extractor import EXTRACTOR_NAME, EXTRACTOR_VERSION, Extractor
from graph_builder.extract.nlp import load_spacy

__all__ = ["EXTRACTOR_NAME", "EXTRACTOR_VERSION", "Extractor", "load_spacy"]
