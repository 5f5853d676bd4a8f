"""Extraction patterns on small sentences written for these tests (not from the corpus)."""

from __future__ import annotations

import pytest

from graph_builder.documents import Document, content_hash
from graph_builder.extract import EXTRACTOR_NAME, Extractor
from graph_builder.ontology import load_ontology
from graph_builder.statements import Statement


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(load_ontology())  # loads spaCy once for the module


def run(extractor: Extractor, text: str, date: str = "2020-05-01") -> list[Statement]:
    doc = Document("t", text, "t.txt", None, date, None, None, content_hash(text))
    return extractor.extract(doc)


def triples(statements: list[Statement]) -> set[tuple[str, str, str]]:
    return {(s.subject, s.predicate, s.object) for s in statements}


def test_apposition_leader_and_member(extractor: Extractor) -> None:
    found = triples(
        run(
            extractor,
            "Jaish-e-Mohammed chief Masood Azhar addressed a rally in Bahawalpur. "
            "Abdul Rauf, a senior JeM commander, was also present.",
        )
    )
    assert ("Masood Azhar", "leader_of", "Jaish-e-Mohammed") in found
    assert ("Abdul Rauf", "member_of", "Jaish-e-Mohammed") in found


def test_leader_of_apposition_with_role_and_founder(extractor: Extractor) -> None:
    found = triples(
        run(
            extractor,
            "Abubakar Shekau, the leader of Boko Haram, appeared in a new video. "
            "Mohammed Yusuf founded Boko Haram in 2002.",
        )
    )
    assert ("Abubakar Shekau", "leader_of", "Boko Haram") in found
    assert ("Mohammed Yusuf", "founder_of", "Boko Haram") in found


def test_founded_by_and_sons(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "Hezbollah, founded by Abbas al-Musawi, grew quickly. "
        "Karim Haddad, a cleric, was arrested along with his sons, Ali Haddad and Omar Haddad.",
    )
    found = triples(statements)
    assert ("Abbas al-Musawi", "founder_of", "Hezbollah") in found
    assert ("Ali Haddad", "relative_of", "Karim Haddad") in found
    assert ("Omar Haddad", "relative_of", "Karim Haddad") in found
    assert {s.relation for s in statements if s.predicate == "relative_of"} == {"son"}


def test_links_between_groups(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "Al-Shabaab has long been close to al-Qaeda, officials said. "
        "The Nusra Front was allied with Ahrar groups but later developed links with Hamas.",
    )
    found = triples(statements)
    assert ("al-Shabaab", "linked_to", "al-Qaeda") in found
    assert ("Hayat Tahrir al-Sham", "linked_to", "Hamas") in found
    shabaab = next(s for s in statements if s.subject == "al-Shabaab")
    assert shabaab.modality == "reported" and shabaab.link_kind == "ties"


def test_claimed_responsibility_and_event_place(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "ISWAP claimed responsibility for a bombing at a market in Maiduguri that killed "
        "nine people.",
    )
    found = triples(statements)
    claim = [s for s in statements if s.predicate == "responsible_for"]
    assert claim and claim[0].subject == "Islamic State West Africa Province"
    assert claim[0].modality == "claimed"
    event = claim[0].object
    assert "bombing" in event
    assert (event, "occurred_in", "Maiduguri") in found


def test_killed_in_event_and_killing_list(extractor: Extractor) -> None:
    found = triples(
        run(
            extractor,
            "Qari Hussain, a TTP commander, was killed in a drone strike in North Waziristan "
            "on Sunday. Troops later raided a hideout, killing Gul Bahadur and Sadiq Noor.",
        )
    )
    killed = {s for s, p, _ in found if p == "killed_in"}
    assert {"Qari Hussain", "Gul Bahadur", "Sadiq Noor"} <= killed
    assert ("Qari Hussain", "member_of", "Pakistani Taliban") in found


def test_designated_by(extractor: Extractor) -> None:
    found = triples(
        run(
            extractor,
            "The State Department designated Harkat-ul-Mujahideen a foreign terrorist "
            "organisation in 1997.",
        )
    )
    assert ("Harkat-ul-Mujahideen", "designated_by", "US State Department") in found


def test_allegation_modality(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "A bombing hit a mosque in Quetta in March. Police accused Usman Saifullah of "
        "planning the bombing.",
    )
    responsible = [s for s in statements if s.predicate == "responsible_for"]
    assert responsible and responsible[0].subject == "Usman Saifullah"
    assert responsible[0].modality == "alleged"


def test_negation_gives_no_statement(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "Akram Lahori was not a member of Lashkar-e-Jhangvi, his lawyer said. "
        "No one claimed responsibility for the attack. "
        "Shafiq Mengal denied any links with the Islamic State.",
    )
    assert not [s for s in statements if s.predicate in ("member_of", "linked_to")]
    assert not [s for s in statements if s.predicate == "responsible_for"]


def test_possessives_and_short_forms_resolve_to_full_name(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "Hizbul Mujahideen chief Syed Salahuddin spoke on Friday. Salahuddin’s son, "
        "Shahid Yousuf, was arrested. Salahuddin founded the group in 1989.",
    )
    found = triples(statements)
    assert ("Syed Salahuddin", "leader_of", "Hizbul Mujahideen") in found
    assert ("Shahid Yousuf", "relative_of", "Syed Salahuddin") in found
    assert ("Syed Salahuddin", "founder_of", "Hizbul Mujahideen") in found
    assert all(s.subject != "Salahuddin" and s.object != "Salahuddin" for s in statements)


def test_quoted_officials_are_never_members(extractor: Extractor) -> None:
    statements = run(
        extractor,
        "Police spokesman Tariq Mehmood said the Lashkar-e-Taiba militants fled. "
        "Dr Farooq Ahmed, a doctor at Civil Hospital, said LeT fighters brought the bodies.",
    )
    members = [s for s in statements if s.predicate in ("member_of", "leader_of")]
    assert all(s.subject not in ("Tariq Mehmood", "Farooq Ahmed") for s in members)


def test_evidence_is_verbatim_with_span(extractor: Extractor) -> None:
    text = "Title line\n\nAQAP leader Qasim al-Raymi was killed in a US strike in Yemen."
    statements = run(extractor, text)
    assert statements
    for s in statements:
        assert s.span is not None
        assert text[s.span[0] : s.span[1]] == s.evidence
        assert s.extractor == EXTRACTOR_NAME
        assert 0 < s.confidence <= 1
    assert ("Qasim al-Raymi", "leader_of", "al-Qaeda in the Arabian Peninsula") in triples(
        statements
    )


def test_statements_fit_the_ontology(extractor: Extractor) -> None:
    onto = extractor.ontology
    text = (
        "Hamas leader Ismail Haniyeh met Hezbollah officials in Beirut. The group's "
        "spokesman, Hazem Qassem, said Hamas had ties to Palestinian Islamic Jihad."
    )
    for s in run(extractor, text):
        pred = onto.predicates[s.predicate]
        ok = s.subject_type in pred.domain and s.object_type in pred.range
        if pred.symmetric:
            ok = ok or (s.object_type in pred.domain and s.subject_type in pred.range)
        assert ok, s


def test_extract_all_matches_extract(extractor: Extractor) -> None:
    texts = [
        "LeT chief Hafiz Saeed spoke.",
        "ISKP claimed responsibility for a blast in Jalalabad.",
    ]
    docs = [
        Document(f"d{i}", t, "x", None, None, None, None, content_hash(t))
        for i, t in enumerate(texts)
    ]
    batched = {d.doc_id: triples(found) for d, found in extractor.extract_all(docs, jobs=1)}
    single = {d.doc_id: triples(extractor.extract(d)) for d in docs}
    assert batched == single
    assert ("Hafiz Saeed", "leader_of", "Lashkar-e-Taiba") in batched["d0"]
