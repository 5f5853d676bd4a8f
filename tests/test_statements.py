"""The statement interchange format: reading, checking against the ontology, writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_builder.errors import InputError
from graph_builder.ontology import load_ontology
from graph_builder.statements import Statement, read_statements, write_statements

ONTOLOGY = load_ontology()

GOOD = {
    "doc_id": "ishaq-2015-07-29",
    "subject": "Malik Muhammad Ishaq",
    "subject_type": "Person",
    "predicate": "leader_of",
    "object": "Lashkar-e-Jhangvi",
    "object_type": "MilitantGroup",
    "evidence": "Police said LeJ chief Malik Muhammad Ishaq was taken into custody.",
    "span": [10, 75],
    "modality": "reported",
    "confidence": 0.9,
    "attributed_to": "police",
}


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "curated.statements.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_valid_statements_with_optional_fields(tmp_path: Path) -> None:
    path = write_lines(tmp_path, [json.dumps(GOOD), "", json.dumps({**GOOD, "role": "acting"})])
    statements = read_statements(path, ONTOLOGY)
    assert [s.role for s in statements] == [None, "acting"]
    assert statements[0].span == (10, 75)
    assert statements[0].attributed_to == "police"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "broken JSON"),
        (json.dumps({**GOOD, "predicate": "boss_of"}), "unknown predicate 'boss_of'; expected"),
        (
            json.dumps({**GOOD, "subject_type": "Location"}),
            "leader_of links Person -> MilitantGroup, got Location -> MilitantGroup",
        ),
        (json.dumps({**GOOD, "modality": "rumoured"}), "unknown modality 'rumoured'"),
        (json.dumps({**GOOD, "confidence": 1.5}), "'confidence' must be a number in [0, 1]"),
        (json.dumps({**GOOD, "span": [9, 3]}), "'span' must be null or [start, end]"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "evidence"}), "missing required key"),
        (json.dumps({**GOOD, "colour": "red"}), "unknown key(s) colour"),
        (json.dumps({**GOOD, "date": "29/07/2015"}), "'date' must be an ISO date"),
        (json.dumps([1, 2]), "expected a JSON object, got list"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, line: str, expected: str) -> None:
    path = write_lines(tmp_path, [json.dumps(GOOD), line, json.dumps(GOOD)])
    with pytest.raises(InputError) as caught:
        read_statements(path, ONTOLOGY)
    assert caught.value.line == 2
    assert str(caught.value).startswith(f"{path}:2: ")
    assert expected in str(caught.value)


def test_symmetric_predicate_accepts_either_direction(tmp_path: Path) -> None:
    person_to_group = {
        **GOOD,
        "predicate": "linked_to",
        "subject": "Lashkar-e-Jhangvi",
        "subject_type": "MilitantGroup",
        "object": "Malik Muhammad Ishaq",
        "object_type": "Person",
    }
    path = write_lines(tmp_path, [json.dumps(person_to_group)])
    assert read_statements(path, ONTOLOGY)[0].predicate == "linked_to"


def test_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.statements.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_statements(path, ONTOLOGY)


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    statement = read_statements(write_lines(tmp_path, [json.dumps(GOOD)]), ONTOLOGY)[0]
    out = tmp_path / "out" / "statements.jsonl"
    assert write_statements([statement], out) == 1
    assert read_statements(out, ONTOLOGY) == [statement]
    assert not list(out.parent.glob("*.tmp"))


def test_statement_id_is_stable_and_content_based() -> None:
    a = Statement(**{**GOOD, "span": (10, 75)})
    b = Statement(**{**GOOD, "span": (10, 75)})
    c = Statement(**{**GOOD, "span": (10, 75), "modality": "alleged"})
    assert a.statement_id == b.statement_id != c.statement_id


def test_to_json_follows_the_declared_fields() -> None:
    """to_json lists the format's keys in field order (byte-identical JSONL), and the
    cached statement_id never joins them."""
    from dataclasses import astuple, fields

    from graph_builder.statements import OPTIONAL, REQUIRED, Statement

    assert REQUIRED + OPTIONAL == tuple(f.name for f in fields(Statement))
    statement = Statement(
        "d",
        "A",
        "Person",
        "member_of",
        "B",
        "MilitantGroup",
        "A joined B.",
        (0, 11),
        "asserted",
        0.9,
        role="commander",
    )
    assert statement.statement_id.startswith("s-")  # cached on the object from here on
    assert statement.to_json() == {
        **{k: v for k, v in zip(REQUIRED, astuple(statement), strict=False)},
        "span": [0, 11],
        "role": "commander",
    }
    assert list(statement.to_json()) == [*REQUIRED, "role"]


@pytest.mark.parametrize(
    ("faults", "reported"),
    [
        ({"link_kind": "bogus", "role": 5}, "unknown link_kind"),
        ({"date": "2015-13-01", "extractor": 3}, "'date' must be an ISO date"),
        ({"start": "July", "subject": ""}, "'start' must be an ISO date"),
        ({"subject": "", "attributed_to": []}, "'subject' must be a non-empty string"),
        ({"evidence": 4, "object_id": 9}, "'evidence' must be a non-empty string"),
    ],
)
def test_of_several_faults_the_same_one_is_reported(
    tmp_path: Path, faults: dict[str, object], reported: str
) -> None:
    """rejected.jsonl and the CLI name one fault per statement: link kind, dates, the
    required texts, then the other optional keys, whatever the reading code's shape."""
    path = write_lines(tmp_path, [json.dumps({**GOOD, **faults})])
    with pytest.raises(InputError, match=reported):
        read_statements(path, ONTOLOGY)
