"""An exact, cheaper greedy decoder for spaCy's entity recognizer.

spaCy's compiled NER loop asks each of its ~74 actions whether it is valid at every
token, and each of those calls takes and releases the GIL (Cython 3 exception checks):
half of the component's time. :class:`FastEntityRecognizer` keeps the network
(``tok2vec`` and the precomputed lower layer) and runs the same greedy decode with
numpy across the documents of a batch: the same float32 operations in the same order,
the upper layer through the same BLIS ``sgemm`` on the same rows, and the BILUO
validity rules of ``spacy/pipeline/_parser_internals/ner.pyx`` as a lookup table. Any
input it does not cover (preset entities, beam search, other devices or model shapes)
goes through spaCy's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.pipeline import EntityRecognizer

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MOVES = "BILUO"  # spaCy's BiluoPushDown moves, numbered as below
BEGIN, IN, LAST, UNIT, OUT = range(5)
CLOSED_CODES = 4  # state codes 0-3: no open entity; 2 * token is space + next blocked
SAFE_SCORE = 1e30  # scores stay far from float32 overflow below this bound


class Unsupported(Exception):
    """An input or model the fast decoder does not reproduce; spaCy decodes it."""


@dataclass(frozen=True)
class _Actions:
    """The transition system's actions as arrays, indexed by class number."""

    move: np.ndarray  # BEGIN..OUT per class
    label: list[int]  # entity label hash per class (0 for O)
    open_code: dict[int, int]  # label hash -> state code of an entity open with it
    penalty: np.ndarray  # (state codes, classes): 0 where the action is valid, else -inf
    changes_state: np.ndarray  # (classes,): B, L and U open or close an entity


def _actions(ner: EntityRecognizer) -> _Actions:
    """Read the actions and tabulate ``is_valid`` of ner.pyx for inputs without
    preset entities: a state is closed (code 2 * is_space + next_blocked) or has an
    entity of some label open (code open_code[label] + next_blocked), where
    next_blocked means the buffer has one token left or the next starts a sentence."""
    strings = ner.vocab.strings
    moves, labels = [], []
    for name in (ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)):
        move, _, label = name.partition("-")  # "U-" (label 0) blocks preset entities only
        if move not in MOVES or (move == "O" and name != "O"):
            raise Unsupported(f"action {name!r}")
        moves.append(MOVES.index(move))
        labels.append(strings[label] if label else 0)
    open_labels = sorted({lab for m, lab in zip(moves, labels, strict=True) if m == BEGIN})
    open_code = {lab: CLOSED_CODES + 2 * i for i, lab in enumerate(open_labels)}
    valid = np.zeros((CLOSED_CODES + 2 * len(open_labels), len(moves)), dtype=bool)
    for cls, (move, label) in enumerate(zip(moves, labels, strict=True)):
        if move == OUT:
            valid[:CLOSED_CODES, cls] = True
        elif label == 0:
            continue
        elif move == UNIT:
            valid[[0, 1], cls] = True  # not on whitespace
        elif move == BEGIN:
            valid[0, cls] = True  # not on whitespace, and not at a sentence's last token
        elif label in open_code and move == LAST:
            valid[[open_code[label], open_code[label] + 1], cls] = True
        elif label in open_code and move == IN:
            valid[open_code[label], cls] = True
    penalty = np.where(valid, np.float32(0), np.float32(-np.inf)).astype(np.float32)
    move_array = np.array(moves, dtype=np.intp)
    return _Actions(
        move=move_array,
        label=labels,
        open_code=open_code,
        penalty=penalty,
        changes_state=np.isin(move_array, (BEGIN, LAST, UNIT)),
    )


@dataclass
class _Weights:
    """One batch's network: per token and feature, the lower layer's precomputed
    pieces (row 0 is the padding), its bias, and the upper layer."""

    cached: np.ndarray  # (tokens + 1, 3 features, hidden, pieces)
    bias: np.ndarray  # (hidden, pieces)
    upper_w: np.ndarray  # (classes, hidden)
    upper_b: np.ndarray  # (classes,)
    unseen: np.ndarray  # class numbers whose scores spaCy sets to the batch minimum
    first: np.ndarray  # (tokens + 1, hidden, pieces): 0 + the first feature, as spaCy sums


def _maxout(vec: np.ndarray) -> np.ndarray:
    """The piece spaCy's ``Vec.arg_max`` picks: for two pieces the first only if
    strictly greater, otherwise the first strict maximum."""
    if vec.shape[-1] == 2:
        return np.where(vec[..., 0] > vec[..., 1], vec[..., 0], vec[..., 1])
    best = vec[..., 0]
    for piece in range(1, vec.shape[-1]):
        best = np.where(vec[..., piece] > best, vec[..., piece], best)
    return best


def _closed_hidden(w: _Weights) -> Any:
    """The hidden layer of every token row for a state with no entity open: spaCy's
    sum_state_features adds the three feature vectors to zeros in feature order (the
    last two are padding here), then the bias."""
    vec = w.first + w.cached[0, 1]
    vec += w.cached[0, 2]
    vec += w.bias
    return _maxout(vec)


def _open_hidden(w: _Weights, row: int, entity_row: int) -> Any:
    """The hidden layer of a state at token ``row`` inside an entity that starts at
    ``entity_row``: the features are that token, the entity's first and the previous."""
    vec = w.first[row] + w.cached[entity_row, 1]
    vec += w.cached[row - 1, 2]
    vec += w.bias
    return _maxout(vec)


def _weights(ner: EntityRecognizer, docs: list[Doc]) -> _Weights:
    """Run tok2vec and the lower layer as ``ParserStepModel`` does; Unsupported when
    scores could overflow (then spaCy's comparisons with inf or NaN would decide)."""
    tok2vec, lower, upper = ner.model.layers
    tokvecs = tok2vec.predict(docs)
    cached, _ = lower(tokvecs, False)
    bias = lower.get_param("b")
    upper_w = np.ascontiguousarray(upper.get_param("W"), dtype=np.float32)
    upper_b = upper.get_param("b")
    # |hidden| <= 3 features + bias <= 4 * peak; numpy's max propagates NaN
    peak = np.max([cached.max(), -cached.min(), np.abs(bias).max()])
    bound = 4 * peak * np.abs(upper_w).sum(axis=1).max() + np.abs(upper_b).max()
    if not bound < SAFE_SCORE:  # also catches NaN
        raise Unsupported("scores out of the safe range")
    unseen = np.array(sorted(ner.model.attrs["unseen_classes"]), dtype=np.intp)
    first = np.zeros(cached.shape[:1] + cached.shape[2:], dtype=np.float32)
    first += cached[:, 0]
    return _Weights(cached, bias, upper_w, upper_b, unseen, first)


@dataclass
class _Tokens:
    """Per token row (as in ``cached``): the closed-state code and whether the next
    token blocks B and I (end of document or sentence start)."""

    closed_code: np.ndarray
    next_blocked: np.ndarray
    lengths: list[int]
    first_rows: np.ndarray  # cached row of each document's first token


def _tokens(docs: list[Doc]) -> _Tokens:
    from spacy.attrs import ENT_IOB, ENT_TYPE, IS_SPACE, SENT_START

    lengths = [len(doc) for doc in docs]
    closed, blocked = [np.zeros(1, dtype=np.intp)], [np.zeros(1, dtype=np.intp)]
    for doc in docs:
        if not len(doc):
            continue
        table = doc.to_array([IS_SPACE, SENT_START, ENT_IOB, ENT_TYPE]).reshape(len(doc), 4)
        if table[:, 2:].any():
            raise Unsupported("preset entity annotation")
        next_blocked = np.ones(len(doc), dtype=np.intp)
        next_blocked[:-1] = table[1:, 1] == 1
        closed.append(2 * table[:, 0].astype(np.intp) + next_blocked)
        blocked.append(next_blocked)
    first_rows = 1 + np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    return _Tokens(np.concatenate(closed), np.concatenate(blocked), lengths, first_rows)


Entity = tuple[int, int, int]  # start, end, label hash


class _Batch:
    """The decoding state of every document of a batch: which have an entity open,
    where it starts and its label, and the entities found so far."""

    def __init__(self, tokens: _Tokens) -> None:
        n_docs = len(tokens.lengths)
        self.tokens = tokens
        self.entities: list[list[Entity]] = [[] for _ in range(n_docs)]
        self.open_docs: list[int] = []  # documents with an entity open, in no order
        self.entity_row = [0] * n_docs  # cached row of the open entity's first token
        self.open_code = [0] * n_docs
        self.open_label = [0] * n_docs

    def act(self, actions: _Actions, doc: int, cls: int, row: int, step: int) -> None:
        """Begin.transition, Last.transition or Unit.transition of ner.pyx."""
        move, label = actions.move[cls], actions.label[cls]
        if move == BEGIN:
            self.entity_row[doc] = row
            self.open_code[doc], self.open_label[doc] = actions.open_code[label], label
            self.open_docs.append(doc)
        elif move == LAST:
            start = self.entity_row[doc] - int(self.tokens.first_rows[doc])
            self.entities[doc].append((start, step + 1, self.open_label[doc]))
            self.open_docs.remove(doc)
        else:
            self.entities[doc].append((step, step + 1, label))


def _decode(actions: _Actions, w: _Weights, tokens: _Tokens) -> list[list[Entity]]:
    """spaCy's ``Parser._parseC`` for NER: every state reads one token per step, so
    at step t the unfinished documents are those longer than t, in batch order, and
    the upper layer multiplies exactly their rows, as spaCy's loop does."""
    from blis.py import gemm

    batch = _Batch(tokens)
    lengths = np.array(tokens.lengths, dtype=np.intp)
    closed_hidden = _closed_hidden(w)
    # Adding 0 or -inf after the bias: the same sum for valid actions, and the
    # unseen-class minimum must be taken before it.
    penalty = actions.penalty if len(w.unseen) else actions.penalty + w.upper_b
    active, ends = np.flatnonzero(lengths), {0, *tokens.lengths}
    for step in range(int(lengths.max(initial=0))):
        if step in ends:
            active = active[lengths[active] > step]
            first_rows = tokens.first_rows[active]
            position = {doc: i for i, doc in enumerate(active.tolist())}
        rows = first_rows + step
        hidden = closed_hidden.take(rows, axis=0)
        codes = tokens.closed_code.take(rows)
        for doc in batch.open_docs:
            i, row = position[doc], int(first_rows[position[doc]]) + step
            hidden[i] = _open_hidden(w, row, batch.entity_row[doc])
            codes[i] = batch.open_code[doc] + tokens.next_blocked[row]
        scores = gemm(hidden, w.upper_w, trans2=True, beta=0.0)
        if len(w.unseen):
            scores += w.upper_b
            scores[:, w.unseen] = scores.min()
        scores += penalty.take(codes, axis=0)
        guesses = scores.argmax(axis=1)
        if actions.changes_state.take(guesses).any():
            for i, cls in enumerate(guesses.tolist()):
                if actions.changes_state[cls]:
                    batch.act(actions, int(active[i]), cls, int(rows[i]), step)
    return batch.entities


@dataclass(frozen=True)
class FastEntities:
    """What :meth:`FastEntityRecognizer.predict` returns for a batch it decoded."""

    entities: list[list[Entity]]


def supports(ner: Any) -> bool:
    """Whether the fast decoder reproduces this component's greedy decode."""
    from thinc.api import NumpyOps

    try:
        _, lower, upper = ner.model.layers
        return (
            isinstance(ner, EntityRecognizer)
            and ner.cfg.get("beam_width") == 1
            and ner.model.attrs.get("has_upper") is True
            and type(ner.model.ops) is NumpyOps
            and lower.name == "precomputable_affine"
            and lower.get_dim("nF") == 3
            and upper.get_param("W").shape == (ner.moves.n_moves, lower.get_dim("nO"))
        )
    except (AttributeError, KeyError, ValueError):
        return False


class FastEntityRecognizer(EntityRecognizer):
    """spaCy's EntityRecognizer with :func:`_decode` in place of its greedy parse
    whenever :func:`supports` and the inputs allow; spaCy's own path otherwise."""

    _actions_cache: tuple[int, _Actions] | None = None

    def predict(self, docs: Any) -> Any:
        from spacy.tokens import Doc
        from thinc.api import set_dropout_rate

        if isinstance(docs, Doc):
            docs = [docs]
        if not supports(self) or not any(len(doc) for doc in docs):
            return super().predict(docs)
        try:
            actions = self._cached_actions()
            tokens = _tokens(docs)
            set_dropout_rate(self.model, 0.0)
            return FastEntities(_decode(actions, _weights(self, docs), tokens))
        except Unsupported:
            return super().predict(docs)

    def set_annotations(self, docs: Any, states_or_beams: Any) -> None:
        """BiluoPushDown.set_annotations for decoded entities: the inputs had no
        entity annotation, so ``default="outside"`` marks all other tokens O."""
        from spacy.tokens import Span

        if not isinstance(states_or_beams, FastEntities):
            super().set_annotations(docs, states_or_beams)
            return
        for doc, found in zip(docs, states_or_beams.entities, strict=True):
            spans = [Span(doc, s, e, label=lab, kb_id=doc[s].ent_kb_id) for s, e, lab in found]
            doc.set_ents(spans, default="outside")

    def _cached_actions(self) -> _Actions:
        n_moves = self.moves.n_moves
        if self._actions_cache is None or self._actions_cache[0] != n_moves:
            self._actions_cache = (n_moves, _actions(self))
        return self._actions_cache[1]


def _rebuilt(ner: EntityRecognizer) -> FastEntityRecognizer:
    """The same component (shared vocab, model, actions and settings) as a
    FastEntityRecognizer: spaCy's compiled class has no instance dict to patch."""
    cfg = ner.cfg
    fast = FastEntityRecognizer(
        ner.vocab,
        ner.model,
        ner.name,
        ner.moves,
        update_with_oracle_cut_size=cfg["update_with_oracle_cut_size"],
        beam_width=cfg["beam_width"],
        beam_density=cfg["beam_density"],
        beam_update_prob=cfg["beam_update_prob"],
        multitasks=cfg["multitasks"],
        incorrect_spans_key=cfg["incorrect_spans_key"],
        scorer=ner.scorer,
    )
    fast.cfg = cfg
    return fast


def install(nlp: Language) -> Language:
    """Swap every supported ``ner`` component of ``nlp`` for its fast twin."""
    for index, (name, pipe) in enumerate(nlp._components):
        if type(pipe) is EntityRecognizer and supports(pipe):
            nlp._components[index] = (name, _rebuilt(pipe))
    return nlp
