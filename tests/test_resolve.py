"""Entity resolution across documents: aliases, transliterations, surnames, homonyms."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from graph_builder.config import SAMPLE_CORPUS
from graph_builder.errors import InputError
from graph_builder.gold import gold_statements
from graph_builder.ontology import Ontology
from graph_builder.resolve import (
    AliasTable,
    Resolution,
    entity_iri,
    load_alias_table,
    load_gazetteer,
    load_group_parents,
    resolve,
)
from graph_builder.statements import Statement

BASE = "https://milgraph.org/id/"


def st(doc: str, subject: str, predicate: str, obj: str, types: tuple[str, str], **kw) -> Statement:
    fields = {
        "evidence": f"{subject} {predicate} {obj}.",
        "span": None,
        "modality": "asserted",
        "confidence": 0.9,
    }
    fields.update(kw)
    return Statement(doc, subject, types[0], predicate, obj, types[1], **fields)


def group_link(doc: str, a: str, b: str) -> Statement:
    return st(doc, a, "linked_to", b, ("MilitantGroup", "MilitantGroup"))


def member(doc: str, person: str, group: str) -> Statement:
    return st(doc, person, "member_of", group, ("Person", "MilitantGroup"))


def entities_named(res: Resolution, type_name: str) -> dict[str, tuple[str, ...]]:
    return {e.name: e.aliases for e in res.entities.values() if e.type == type_name}


def test_transliterations_and_aliases_resolve_to_one_group(ontology: Ontology) -> None:
    pairs = [
        ("Lashkar-e-Jhangvi", "al-Qaeda"),
        ("Lashkar-i-Jhangvi", "al-Qaida"),
        ("LeJ", "Al Qaeda"),
        ("Tehrik-i-Taliban Pakistan", "Islamic State"),
        ("Tehreek-e-Taliban Pakistan", "ISIS"),
        ("TTP", "ISIL"),
        ("Lashkar-e-Taiba", "Daesh"),
        ("Islamic State Khorasan Province", "IS"),
    ]
    statements = [group_link(f"doc{i}", a, b) for i, (a, b) in enumerate(pairs)]
    res = resolve(statements, ontology, aliases=load_alias_table(ontology=ontology))
    groups = entities_named(res, "MilitantGroup")
    assert set(groups) == {
        "Lashkar-e-Jhangvi",
        "al-Qaeda",
        "Tehrik-i-Taliban Pakistan",
        "Islamic State",
        "Lashkar-e-Taiba",
        "Islamic State Khorasan Province",
    }
    assert set(groups["Lashkar-e-Jhangvi"]) == {"Lashkar-i-Jhangvi", "LeJ"}
    assert set(groups["al-Qaeda"]) == {"al-Qaida", "Al Qaeda"}
    # names seen in statements, plus the alias table's other names for the entity
    assert set(groups["Islamic State"]) == {
        "ISIS",
        "ISIL",
        "Daesh",
        "IS",
        "Islamic State of Iraq and Syria",
        "Islamic State of Iraq and the Levant",
    }
    assert {"Tehreek-e-Taliban Pakistan", "TTP"} <= set(groups["Tehrik-i-Taliban Pakistan"])
    # every name seen in a statement that was merged into another is recorded with its rule
    merged = {(m.canonical, m.merged): m.rule for m in res.merges if m.applied}
    seen = {name for pair in pairs for name in pair}
    for name, aliases in groups.items():
        for alias in set(aliases) & seen:
            assert (name, alias) in merged
    assert merged[("Islamic State", "Daesh")] == "alias-table"
    # resolved statements carry canonical names and entity IRIs
    for s in res.statements:
        assert s.subject_id in res.entities and res.entities[s.subject_id].name == s.subject
        assert s.object_id in res.entities and res.entities[s.object_id].name == s.object


def test_without_alias_table_only_automatic_rules_apply(ontology: Ontology) -> None:
    res = resolve(
        [
            group_link("a", "Lashkar-e-Jhangvi", "Islamic State"),
            group_link("b", "LeJ", "Daesh"),
            group_link("c", "al-Qaeda", "Lashkar-e-Taiba"),
            group_link("d", "al-Qaida", "Lashkar-e-Tayyiba"),
            group_link("e", "Al Qaeda", "Jamaat-ud-Dawa"),
        ],
        ontology,
    )
    groups = entities_named(res, "MilitantGroup")
    assert groups["Lashkar-e-Jhangvi"] == ("LeJ",)  # acronym of the only fitting name
    assert "Daesh" in groups  # no table, no gazetteer: nothing says Daesh is IS
    assert len(groups) == 6
    rules = {(m.merged, m.rule) for m in res.merges if m.applied}
    assert ("LeJ", "acronym") in rules
    assert {m.rule for m in res.merges if m.applied} == {"acronym", "normalised", "transliteration"}
    al_qaeda = next(name for name in groups if name.lower().replace("-", " ") == "al qaeda")
    assert set(groups[al_qaeda]) | {al_qaeda} == {"al-Qaeda", "al-Qaida", "Al Qaeda"}
    assert len([g for g in groups if g.startswith("Lashkar-e-T")]) == 1


def test_gazetteer_aliases_merge(ontology: Ontology) -> None:
    gazetteer = load_gazetteer()
    res = resolve(
        [group_link("a", "Jaish-e-Mohammed", "Hezbollah"), group_link("b", "JeM", "Hizballah")],
        ontology,
        gazetteer=gazetteer,
    )
    assert len(entities_named(res, "MilitantGroup")) == 2
    assert {m.rule for m in res.merges if m.applied} <= {"gazetteer", "acronym", "normalised"}


def test_alias_notation_splits_name_and_alias(ontology: Ontology) -> None:
    res = resolve(
        [
            member("a", "Abdul Wali @ Omar Khalid Khorasani", "Jamaat-ul-Ahrar"),
            member("b", "Omar Khalid Khorasani", "Jamaat-ul-Ahrar"),
        ],
        ontology,
    )
    people = entities_named(res, "Person")
    assert len(people) == 1
    ((name, aliases),) = people.items()
    assert {name, *aliases} == {"Abdul Wali", "Omar Khalid Khorasani"}
    assert any(
        m.rule == "alias-notation" and m.merged == "Omar Khalid Khorasani" for m in res.merges
    )


def test_surname_resolves_only_when_one_candidate_fits(ontology: Ontology) -> None:
    statements = [
        member("a", "Malik Muhammad Ishaq", "Lashkar-e-Jhangvi"),
        member("b", "Ishaq", "Lashkar-e-Jhangvi"),
        member("c", "Sirajuddin Haqqani", "Haqqani network"),
        member("c", "Jalaluddin Haqqani", "Haqqani network"),
        member("d", "Haqqani", "Haqqani network"),
    ]
    res = resolve(statements, ontology)
    people = entities_named(res, "Person")
    assert people["Malik Muhammad Ishaq"] == ("Ishaq",)
    assert "Haqqani" in people  # two Haqqanis fit: left alone
    assert any(m.rule == "surname" and m.merged == "Ishaq" for m in res.merges)
    ambiguous = [m for m in res.merges if m.rule == "ambiguous-surname"]
    assert len(ambiguous) == 1 and not ambiguous[0].applied
    assert (
        "Jalaluddin Haqqani" in ambiguous[0].reason and "Sirajuddin Haqqani" in ambiguous[0].reason
    )


def test_homonyms_with_conflicting_affiliations_stay_apart(ontology: Ontology) -> None:
    statements = [
        member("a", "Muhammad Usman", "Lashkar-e-Jhangvi"),
        member("b", "Muhammad Usman", "Lashkar-e-Taiba"),
        member("c", "Muhammad Usman", "Lashkar-e-Jhangvi"),  # the first one again
        st("d", "Muhammad Usman", "killed_in", "Multan attack", ("Person", "Event")),
    ]
    res = resolve(statements, ontology)
    usmans = sorted(e.id for e in res.entities.values() if e.name == "Muhammad Usman")
    assert usmans == [
        entity_iri(BASE, "Person", "Muhammad Usman"),
        entity_iri(BASE, "Person", "Muhammad Usman") + "-2",
    ]
    by_doc = {s.doc_id: s.subject_id for s in res.statements if s.subject == "Muhammad Usman"}
    assert by_doc["a"] == by_doc["c"] != by_doc["b"]
    kept = [m for m in res.merges if m.rule == "homonym"]
    assert kept and not kept[0].applied and "Lashkar-e-Taiba" in kept[0].reason


def test_same_name_merges_when_affiliations_are_compatible(ontology: Ontology) -> None:
    statements = [
        member("a", "Sirajuddin Haqqani", "Haqqani network"),
        member("b", "Sirajuddin Haqqani", "Afghan Taliban"),
        member("c", "Sirajuddin Haqqani", "Haqqani network"),
        group_link("c", "Haqqani network", "Afghan Taliban"),  # linked groups do not conflict
    ]
    res = resolve(statements, ontology)
    assert len(entities_named(res, "Person")) == 1


def count_people(res: Resolution) -> int:
    return sum(e.type == "Person" for e in res.entities.values())


def test_groups_linked_in_another_document_are_related(ontology: Ontology) -> None:
    # No document names him with both groups; one article links the two groups.
    kabul = [member("a", "Sirajuddin Haqqani", "Haqqani network")]
    khorasan = [member("b", "Sirajuddin Haqqani", "Afghan Taliban")]
    apart = resolve(kabul + khorasan, ontology)
    assert count_people(apart) == 2
    assert [m.rule for m in apart.merges if not m.applied] == ["homonym"]
    linked = resolve(
        [*kabul, *khorasan, group_link("c", "Afghan Taliban", "Haqqani network")], ontology
    )
    assert len(entities_named(linked, "Person")) == 1


CYCLE = {"Afghan Taliban": "Taliban", "Taliban": "Haqqani network"}


@pytest.mark.parametrize(
    ("groups", "parents", "people"),
    [
        # a branch and its parent (the branch named by a gazetteer alias): one person
        (("AQAP", "Al Qaeda"), {"al-Qaeda in the Arabian Peninsula": "al-Qaeda"}, 1),
        (("al-Qaeda", "AQAP"), {"al-Qaeda in the Arabian Peninsula": "al-Qaeda"}, 1),
        # grandparent, through a chain (and a cycle in the data does not hang)
        (
            ("Haqqani network", "Taliban"),
            {
                "Haqqani network": "Afghan Taliban",
                "Afghan Taliban": "Taliban",
                "Taliban": "Haqqani network",
            },
            1,
        ),
        # two branches of one parent are not part of one another: two people
        (
            ("AQAP", "al-Qaeda in Iraq"),
            {"al-Qaeda in the Arabian Peninsula": "al-Qaeda", "al-Qaeda in Iraq": "al-Qaeda"},
            2,
        ),
        # no relation at all
        (("Lashkar-e-Taiba", "Haqqani network"), {"Haqqani network": "Taliban"}, 2),
        (("AQAP", "al-Qaeda"), {}, 2),
    ],
)
def test_groups_part_of_one_another_are_related(
    ontology: Ontology, groups: tuple[str, str], parents: dict[str, str], people: int
) -> None:
    gazetteer = {"MilitantGroup": {"al-Qaeda in the Arabian Peninsula": ["AQAP"]}}
    statements = [member("a", "Abu Omar", groups[0]), member("b", "Abu Omar", groups[1])]
    res = resolve(statements, ontology, gazetteer=gazetteer, group_parents=parents)
    assert count_people(res) == people
    assert len(entities_named(res, "MilitantGroup")) == 2


def test_bundled_gazetteer_parents_relate_branches(ontology: Ontology) -> None:
    parents = load_group_parents()
    assert parents["Islamic State Khorasan Province"] == "Islamic State"
    statements = [
        member("a", "Shahab al-Muhajir", "ISIS-K"),
        member("b", "Shahab al-Muhajir", "Islamic State"),
        member("a", "Hafiz Saeed Khan", "Islamic State Khorasan Province"),
        member("b", "Hafiz Saeed Khan", "Lashkar-e-Taiba"),  # unrelated: kept apart
    ]
    res = resolve(statements, ontology, gazetteer=load_gazetteer(), group_parents=parents)
    people = Counter(e.name for e in res.entities.values() if e.type == "Person")
    assert people == {"Shahab al-Muhajir": 1, "Hafiz Saeed Khan": 2}


def test_different_types_never_merge(ontology: Ontology) -> None:
    res = resolve(
        [
            st(
                "a",
                "Haqqani network",
                "responsible_for",
                "Kabul attack",
                ("MilitantGroup", "Event"),
            ),
            st("b", "Kabul", "occurred_in", "Kabul", ("Event", "Location")),
        ],
        ontology,
    )
    assert {(e.type, e.name) for e in res.entities.values()} == {
        ("MilitantGroup", "Haqqani network"),
        ("Event", "Kabul attack"),
        ("Event", "Kabul"),
        ("Location", "Kabul"),
    }


def test_alias_table_forces_and_forbids(ontology: Ontology, tmp_path: Path) -> None:
    table = tmp_path / "aliases.csv"
    table.write_text(
        "type,canonical,alias,action\n"
        "Person,Omar Khalid Khorasani,Abdul Wali Mohmand,merge\n"
        "Person,Hafiz Dawlat,Hafiz Daulat,forbid\n",
        encoding="utf-8",
    )
    statements = [
        member("a", "Omar Khalid Khorasani", "Jamaat-ul-Ahrar"),
        member("b", "Abdul Wali Mohmand", "Tehrik-i-Taliban Pakistan"),
        member("a", "Hafiz Dawlat", "Tehrik-i-Taliban Pakistan"),
        member("b", "Hafiz Daulat", "Tehrik-i-Taliban Pakistan"),
    ]
    # without the table the spellings merge and the alias stays a separate person
    plain = entities_named(resolve(statements, ontology), "Person")
    assert "Abdul Wali Mohmand" in plain and len(plain) == 3
    res = resolve(statements, ontology, aliases=load_alias_table(table, ontology))
    people = entities_named(res, "Person")
    assert people["Omar Khalid Khorasani"] == ("Abdul Wali Mohmand",)
    assert "Hafiz Dawlat" in people and "Hafiz Daulat" in people
    forbidden = [m for m in res.merges if m.rule == "forbidden"]
    assert forbidden and not forbidden[0].applied
    forced = [m for m in res.merges if m.rule == "alias-table"]
    assert forced and "aliases.csv:2" in forced[0].reason


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("type,canonical,alias\nPerson,A,B\n", 1, "header must be"),
        (
            "type,canonical,alias,action\nPerson,A,B,merge\nPerson,A,C,join\n",
            3,
            "unknown action 'join'",
        ),
        ("type,canonical,alias,action\nGroup,A,B,merge\n", 2, "unknown type 'Group'"),
        ("type,canonical,alias,action\nPerson,A,B\n", 2, "expected 4 columns"),
        ("type,canonical,alias,action\nPerson,,B,merge\n", 2, "non-empty"),
        (
            "type,canonical,alias,action\nPerson,A,B,merge\nPerson,B,A,forbid\n",
            3,
            "both merged and forbidden",
        ),
        # a quoted field over two lines is reported where its row starts
        ('type,canonical,alias,action\nPerson,"Malik\nIshaq",B,merge\n', 2, "U+000A"),
        ("type,canonical,alias,action\n# note\nPerson,A\x00B,C,merge\n", 3, "U+0000"),
        ("type,canonical,alias,action\nPerson,A,B\tC,merge\n", 2, "control character"),
        ('type,canonical,alias,action\nPerson,"' + "A" * 20_000 + '",B,merge\n', 2, "longer"),
        (
            'type,canonical,alias,action\nPerson,A,B,merge\nPerson,"' + "A\n" * 70_000 + '"',
            3,
            "not a CSV row",
        ),
        ("type,canonical,alias,action\nPerson,A,B,merge\n\xe9\n", 3, "not UTF-8"),
    ],
)
def test_bad_alias_rows_name_file_and_line(
    ontology: Ontology, tmp_path: Path, content: str, line: int, fragment: str
) -> None:
    table = tmp_path / "aliases.csv"
    # "\xe9" in `content` stands for a Latin-1 byte: the one case that is not UTF-8
    table.write_bytes(content.encode("utf-8").replace(b"\xc3\xa9", b"\xe9"))
    with pytest.raises(InputError) as error:
        load_alias_table(table, ontology)
    assert error.value.line == line
    assert f"aliases.csv:{line}:" in str(error.value) and fragment in str(error.value)


def test_alias_table_that_is_not_a_file_names_the_path(ontology: Ontology, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read alias table") as error:
        load_alias_table(tmp_path, ontology)
    assert error.value.path == str(tmp_path) and error.value.line is None


def test_alias_table_with_bom_crlf_comments_and_quotes_reads(
    ontology: Ontology, tmp_path: Path
) -> None:
    table = tmp_path / "aliases.csv"
    table.write_bytes(
        b"\xef\xbb\xbftype,canonical,alias,action\r\n# analyst notes\r\n\r\n"
        b'MilitantGroup,"Lashkar-e-Taiba, LeT",LeT,merge\r\nPerson,A B,C D,forbid\r\n'
    )
    rules = load_alias_table(table, ontology).rules
    assert [(r.canonical, r.alias, r.action, r.line) for r in rules] == [
        ("Lashkar-e-Taiba, LeT", "LeT", "merge", 4),
        ("A B", "C D", "forbid", 5),
    ]
    table.write_bytes(b"type,canonical,alias,action\rPerson,A,B,merge\rPerson,C,D,merge\r")
    assert [r.line for r in load_alias_table(table, ontology).rules] == [2, 3]  # old Mac ends


def test_bundled_alias_table_is_valid(ontology: Ontology) -> None:
    table = load_alias_table(ontology=ontology)
    assert isinstance(table, AliasTable) and table.merges() and table.forbids()


def test_entity_iris_are_stable_and_use_the_base() -> None:
    assert entity_iri(BASE, "MilitantGroup", "Lashkar-e-Jhangvi") == (
        "https://milgraph.org/id/militant-group/lashkar-e-jhangvi"
    )
    assert (
        entity_iri("http://x.org/kg/", "Person", "Ḥāfiẓ Saʿīd")
        == "http://x.org/kg/person/hafiz-said"
    )
    assert entity_iri(BASE, "Person", "A") != entity_iri(BASE, "Location", "A")


def test_resolution_does_not_depend_on_input_order(ontology: Ontology) -> None:
    statements = [
        s
        for path in sorted(SAMPLE_CORPUS.glob("*.gold.json"))
        for s in gold_statements(path, ontology)
    ]
    aliases = load_alias_table(ontology=ontology)
    first = resolve(statements, ontology, aliases=aliases)
    shuffled = statements[:]
    random.Random(7).shuffle(shuffled)
    second = resolve(shuffled, ontology, aliases=aliases)
    assert first.entities == second.entities
    assert sorted(first.statements, key=lambda s: s.statement_id) == sorted(
        second.statements, key=lambda s: s.statement_id
    )


def test_gold_corpus_has_one_entity_per_major_group(ontology: Ontology) -> None:
    statements = [
        s
        for path in sorted(SAMPLE_CORPUS.glob("*.gold.json"))
        for s in gold_statements(path, ontology)
    ]
    res = resolve(
        statements,
        ontology,
        aliases=load_alias_table(ontology=ontology),
        gazetteer=load_gazetteer(),
        group_parents=load_group_parents(),
    )
    groups = entities_named(res, "MilitantGroup")
    for name in ("Lashkar-e-Jhangvi", "al-Qaeda", "Islamic State", "Tehrik-i-Taliban Pakistan"):
        assert name in groups
    ttp = [n for n in groups if "taliban pakistan" in n.lower().replace("-", " ")]
    assert ttp == ["Tehrik-i-Taliban Pakistan"]
    assert {"Tehrik-e-Taliban Pakistan", "Tehreek-e-Taliban Pakistan"} <= set(
        groups["Tehrik-i-Taliban Pakistan"]
    )
    people = entities_named(res, "Person")
    assert "Sirajuddin Haqqani" in people and "Hafiz Saeed Khan" in people
    # leader of the Haqqani network in one article, of the Taliban in another: one man
    assert [e.name for e in res.entities.values()].count("Sirajuddin Haqqani") == 1
    assert "Hafiz Muhammad Saeed" in people  # a different Hafiz Saeed, not merged


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_similar_pairs_are_those_of_nested_loops(seed: int) -> None:
    """The C-scored pair search visits the pairs two nested loops over the block would,
    in the same order and with the same ratios (repeated names included)."""
    from rapidfuzz import fuzz

    from graph_builder.resolve import _similar_pairs

    rng = random.Random(seed)
    stems = ["abu hamza", "abu hamsa", "abu hamzah", "ali khan", "ali kahn", "omar", "umar"]
    texts = [rng.choice(stems) + rng.choice(["", "", " x"]) for _ in range(60)]
    group = rng.sample(range(1000), len(texts))  # ids in no particular order
    expected = [
        (x, y, fuzz.ratio(tx, ty))
        for x, tx in zip(group, texts, strict=True)
        for y, ty in zip(group, texts, strict=True)
        if x < y and fuzz.ratio(tx, ty) >= 80
    ]
    assert list(_similar_pairs(group, texts, 80, rows=7)) == expected
    assert len(expected) > 100
