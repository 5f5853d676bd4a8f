"""The synthetic corpus: deterministic, gold consistent with text, ontology and scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_builder.cli import app
from graph_builder.config import PROJECT_ROOT
from graph_builder.errors import InputError
from graph_builder.gold import gold_statements
from graph_builder.ontology import load_ontology
from graph_builder.statements import write_statements
from graph_builder.synth import _norm, synth_article, synth_world, write_corpus

SCORER = PROJECT_ROOT.parent / "shared" / "tools" / "score-extraction"
N = 30


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    write_corpus(out, N, seed=11)
    return out


def _golds(corpus: Path) -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text())) for p in sorted(corpus.glob("*.gold.json"))]


def test_same_seed_same_bytes_other_seed_other_text(corpus: Path, tmp_path: Path) -> None:
    write_corpus(tmp_path / "again", N, seed=11)
    write_corpus(tmp_path / "other", N, seed=12)
    files = sorted(p.name for p in corpus.iterdir())
    assert files == sorted(p.name for p in (tmp_path / "again").iterdir())
    assert len(files) == 2 * N
    for name in files:
        assert (corpus / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    texts = {p.read_text() for p in corpus.glob("*.txt")}
    assert not texts & {p.read_text() for p in (tmp_path / "other").glob("*.txt")}


def test_extending_a_corpus_leaves_it_unchanged(corpus: Path, tmp_path: Path) -> None:
    write_corpus(tmp_path, 1, seed=11, start=N - 1, world_articles=N)
    [added] = tmp_path.glob("*.txt")
    assert added.read_text() == (corpus / added.name).read_text()


def test_only_articles_and_gold_are_written(corpus: Path) -> None:
    suffixes = Counter(
        "".join(p.suffixes[-2:]) if p.name.endswith(".gold.json") else p.suffix
        for p in corpus.iterdir()
    )
    assert suffixes == {".txt": N, ".gold.json": N}
    assert not list(corpus.rglob("*.statements.jsonl"))


def test_articles_are_news_sized_with_a_dateline(corpus: Path) -> None:
    words = []
    for path in corpus.glob("*.txt"):
        text = path.read_text()
        title, _, body = text.partition("\n\n")
        assert title and " — " in body.splitlines()[0]  # DATELINE — lead
        words.append(len(text.split()))
    assert 400 <= sum(words) / len(words) <= 650


def test_gold_evidence_is_verbatim_and_ids_resolve(corpus: Path) -> None:
    for path, gold in _golds(corpus):
        text = path.with_name(gold["doc_id"] + ".txt").read_text()
        ids = {e["id"] for e in gold["entities"]}
        assert gold["statements"]
        for s in gold["statements"]:
            assert s["evidence"] in text, (path, s["evidence"])
            assert {s["subject"], s["object"]} <= ids
        for a in gold["acceptable"]:
            assert {a["subject"], a["object"]} <= ids


def test_gold_fits_the_ontology(corpus: Path, ontology) -> None:
    """gold_statements checks domain/range and modality through statement_from_dict."""
    predicates = Counter()
    for path, gold in _golds(corpus):
        statements = gold_statements(path, ontology)
        assert len(statements) == len(gold["statements"])
        assert all(s.span is not None for s in statements)
        predicates.update(s.predicate for s in statements)
    # Every relation of DESIGN.md shows up in a corpus this small.
    assert set(predicates) >= {
        "leader_of",
        "member_of",
        "founder_of",
        "killed_in",
        "linked_to",
        "relative_of",
        "responsible_for",
        "occurred_in",
        "designated_by",
    }


def test_aliases_never_shared_within_an_article(corpus: Path) -> None:
    for _, gold in _golds(corpus):
        owners: dict[str, str] = {}
        for e in gold["entities"]:
            for form in {_norm(e["name"]), *(_norm(a) for a in e["aliases"])}:
                assert owners.setdefault(form, e["id"]) == e["id"], (gold["doc_id"], form)


def test_hedges_match_modalities(corpus: Path) -> None:
    seen = Counter()
    for _, gold in _golds(corpus):
        for s in gold["statements"]:
            seen[s["modality"]] += 1
            if " allegedly " in s["evidence"] and s["predicate"] != "occurred_in":
                assert s["modality"] == "alleged", s
            if "claimed responsibility" in s["evidence"] and s["predicate"] == "responsible_for":
                assert s["modality"] == "claimed", s
    assert set(seen) == {"asserted", "reported", "alleged", "claimed", "denied"}


def test_officials_and_analysts_are_never_members() -> None:
    world = synth_world(5, 200)
    militants = {p.name for members in world.members.values() for p, _ in members}
    distractors = 0
    for i in range(40):
        gold = synth_article(world, i).gold
        people = {e["id"]: e for e in gold["entities"] if e["type"] == "Person"}
        in_statements = {s[k] for s in gold["statements"] for k in ("subject", "object")}
        distractors += sum(1 for pid in people if pid not in in_statements)
        for s in gold["statements"]:
            if s["predicate"] in ("member_of", "leader_of", "founder_of"):
                person = people[s["subject"]]
                assert militants & {person["name"], *person["aliases"]}, person
    assert distractors >= 40  # at least one bystander official, analyst or resident each


def test_scorer_accepts_gold_and_scores_it_perfect(corpus: Path, ontology, tmp_path) -> None:
    assert SCORER.exists(), f"the shared scorer is expected at {SCORER}"
    statements = [s for path, _ in _golds(corpus) for s in gold_statements(path, ontology)]
    pred = tmp_path / "gold.jsonl"
    write_statements(statements, pred)
    run = subprocess.run(
        [sys.executable, str(SCORER), "--gold", str(corpus), "--pred", str(pred), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    micro = json.loads(run.stdout.splitlines()[-2])["micro"]
    assert micro["docs"] == N and micro["fp"] == 0 and micro["fn"] == 0
    assert micro["f1"] == 1.0


def test_cli_writes_a_corpus_and_rejects_a_file_as_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "-n", "3", "--seed", "2", "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "3 articles" in result.output
    assert len(list((tmp_path / "c").glob("*.gold.json"))) == 3
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        write_corpus(tmp_path / "file", 1)
