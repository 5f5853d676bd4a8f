"""Relation patterns over a sentence template and its dependency parse.

Surface patterns read the template (mentions replaced by ``⟨P0⟩``-style placeholders),
so "⟨G0⟩ chief ⟨P1⟩" is the apposition "LeJ chief Malik Muhammad Ishaq". Verb patterns
read the dependency parse (subject and object of "founded", "designated", "killed"...).
Each pattern yields :class:`Candidate` records; the extractor checks them against the
ontology, negation and modality before they become statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from graph_builder.extract.context import PLACEHOLDER, DocumentState, SentenceView, Slot

P, G, O, L, E = (rf"⟨{c}\d+⟩" for c in "PGOLE")  # noqa: E741
PG = r"⟨[PG]\d+⟩"
SEP = r"(?:,? and |, |,? or )(?:the )?"


def LIST(x: str) -> str:  # noqa: N802 - reads like the grammar it builds
    return rf"{x}(?:{SEP}{x})*"


LEADER = r"(?:chief|leader|head|emir|amir|supremo|chieftain|commander-in-chief)"
FOUNDER = r"(?:founder|co-founder)"
MEMBER = (
    r"(?:spokesman|spokesperson|spokeswoman|commander|militant|fighter|member|operative|"
    r"ideologue|official|cadre|figure|financier|recruiter|lieutenant|strategist|trainer|"
    r"propagandist|minister|deputy|bomber|gunman|activist)"
)
ROLE = rf"(?:{FOUNDER}|{LEADER}|{MEMBER})"
ROLES = rf"{ROLE}(?: and {ROLE})?"
LEADER_MODS = frozenset(
    "deputy acting former top supreme overall new late slain current interim founding "
    "then self-styled hardline senior previous first founding".split()
)
ROLE_FILLER = frozenset("the a an its their his her main".split())  # "the main spokesman"
FORMER = frozenset("former late slain ex then previous first".split())
KIN = (
    r"(?:sons?|brothers?|fathers?|father-in-law|brother-in-law|son-in-law|sons-in-law|"
    r"nephews?|cousins?|uncles?|daughters?|wife|wives|husband|grandsons?|half-brother|"
    r"mother|sister|brothers-in-law)"
)
KIN_MODS = (
    r"(?:(?:two|three|four|five|eldest|youngest|younger|elder|older|adult|second|late|own|only) )*"
)
APPOS_PREFIX = r"(?:(?!⟨P)[^,.;])*? and "  # "the Taliban's interior minister and ..."
GROUP_WORDS = (
    r"(?:the )?(?:(?:(?:militant|extremist|terrorist|jihadist|banned|outlawed|Islamist|"
    r"hardline|splinter|sectarian|anti-Shia|Sunni|Shia|armed) )*(?:group|organisation|"
    r"organization|network|movement|faction|outfit) )?"
)


@dataclass(frozen=True)
class Candidate:
    """A relation a pattern found, before ontology, negation and modality checks."""

    subject: Slot
    predicate: str
    object: Slot
    family: str
    cue: str  # the template text the pattern matched (checked for negation)
    role: str | None = None
    relation: str | None = None
    link_kind: str | None = None
    claimed: bool = False
    alleged: bool = False
    denied: bool = False  # the text reports a denial: recorded, never a fact


def _role_predicate(role: str, mods: str) -> list[tuple[str, str | None]]:
    """Predicates (and role qualifiers) a role noun phrase gives: "founder and leader"."""
    words = [w for w in mods.lower().split() if w not in ROLE_FILLER]
    qualifier = next((w for w in words if w in ("deputy", "acting")), None)
    if qualifier is None and any(w in FORMER for w in words):
        qualifier = "former"
    out: list[tuple[str, str | None]] = []
    for part in re.split(r" and ", role.lower()):
        if re.fullmatch(FOUNDER, part):
            out.append(("founder_of", None))
        elif re.fullmatch(LEADER, part):
            specific = [w for w in words if w not in LEADER_MODS]
            if specific:  # "communications chief", "military chief": a member with a job
                out.append(("member_of", None))
            else:
                out.append(("leader_of", qualifier))
        elif part == "deputy":
            out.append(("leader_of", "deputy"))
        else:
            out.append(("member_of", qualifier if qualifier == "former" else None))
    return out


def _pairs(view: SentenceView, subjects: str, objects: str, s_types: str, o_types: str):
    for s in view.slots_in(subjects, s_types):
        for o in view.slots_in(objects, o_types):
            if s.names != o.names:
                yield s, o


def _event_slot(view: SentenceView, state: DocumentState, pos: int | None = None) -> Slot | None:
    """The event a sentence talks about: its own event mention, else the current event."""
    years = set(re.findall(r"\b(?:19|20)\d\d\b", view.sent.text))
    events = [s for s in view.slots if s.type == "Event" and s.event is not None]
    candidates = [(e.event, e) for e in events]
    fallback = state.main_event or state.current_event
    if fallback is not None:
        candidates.append((fallback, Slot(-1, -1, "Event", (), "current", fallback)))
    for event, slot in candidates:
        assert event is not None
        event_year = event.year or view.doc_year
        if years and event_year not in years:
            continue  # "killed bin Laden in 2011": another event than the one reported
        return slot
    return None


# --- surface patterns ---------------------------------------------------------------

ROLE_APPOS = re.compile(
    rf"(?P<mods0>(?:(?:former|deputy|acting|slain|late|top|senior|then) )*)(?P<o>{G})(?:'s)? "
    rf"(?P<mods>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES})(?: at the time| then)?,? (?P<s>{P})"
)
APPOS_ROLE_G = re.compile(
    rf"(?P<s>{P}),(?: \d+,)? (?:who (?:is|was) )?(?:(?:a|an|the) )?(?P<mods>(?:[\w-]+ ){{0,6}}?)"
    rf"(?:{APPOS_PREFIX})?(?:(?:a|an|the) )?(?P<mods2>(?:[\w-]+ ){{0,2}}?)(?P<o>{G})(?:'s)? "
    rf"(?P<mods3>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES})\b"
)
APPOSITION = r"(?:, (?:[^;⟨]|⟨[GLO]\d+⟩)*?,)?"  # ", a commander of the TTP,"
PLACE_POSS = r"(?:⟨L\d+⟩'s )?"  # "Lebanon's Hezbollah"
APPOS_ROLE_OF_G = re.compile(
    rf"(?P<s>{P}),(?: \d+,)? (?:who (?:is|was) )?(?:{APPOS_PREFIX})?(?:(?:a|an|the) )?"
    rf"(?P<mods>(?:[\w-]+ ){{0,3}}?)(?P<role>{ROLES}) (?:of|for|in) {GROUP_WORDS}{PLACE_POSS}"
    rf"(?P<o>{G})"
)
# "the main spokesman of the TTP, Mohammad Khurasani" / "The leader of Nigeria's Boko
# Haram, Abubakar Shekau"
ROLE_OF_G_APPOS = re.compile(
    rf"(?:^|\b(?:[Tt]he|[Aa]n?|[Ii]ts) )(?P<mods>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES}) "
    rf"(?:of|for) {GROUP_WORDS}{PLACE_POSS}(?P<o>{G}),? (?P<s>{P})(?!'s)"
)
SUCCESSOR = re.compile(
    rf"(?:\b(?:named|appointed|chose|elected|installed) (?P<s>{P}) as (?P<o>{P})'s "
    rf"(?:successor|replacement)|(?P<s2>{P}){APPOSITION} (?:has |had |was )?(?:\w+ly )?"
    rf"(?:succeeded|replaced|named (?:as )?successor to) (?P<o2>{P}))"
)
NAMED_AS = re.compile(
    rf"\b(?:named|appointed|recogni[sz]ed|chose|elected|declared|installed) (?P<s>{P}) as "
    rf"(?:(?:the|its|their) )?(?P<mods>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES}) (?:of|for) "
    rf"{GROUP_WORDS}{PLACE_POSS}(?P<o>{G})"
)
COPULA_ROLE = re.compile(
    rf"(?P<s>{P})(?:, [^;⟨]*?,)? (?:is|was|has been|had been|became|remains|serves as|served as|"
    rf"has served as|acts as) (?:also )?"
    rf"(?:(?:a|an|the) )?(?P<mods>(?:[\w-]+ ){{0,3}}?)(?:(?P<o>{G})(?:'s)? (?P<role>{ROLES})"
    rf"|(?P<role2>{ROLES}) (?:of|for|in) {GROUP_WORDS}(?P<o2>{G}))"
)
DESCRIBED_AS = re.compile(
    rf"(?P<s>{P}),? (?:[\w ]*? )?(?:described|describe|describes|identified|named) as "
    rf"(?:(?:the|a|an) )?(?P<o>{G})(?:'s)? (?P<mods>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES})"
    rf"(?P<of> of \w+)?"
)
WHOSE_ROLE = re.compile(rf"(?P<o>{G}),? whose (?P<role>{ROLES}),? (?P<s>{P})")
LED_BY = re.compile(
    rf"\b(?P<verb>led|headed|commanded|founded|formed|established|set up|created)"
    rf"(?: (?:since|from|in|at|until|during) (?:[\w ]|⟨L\d+⟩)+?)*? by "
    rf"(?:(?:his|her|its|⟨P\d+⟩'s) (?P<kin>{KIN}),? "
    rf"|(?:the|a|an) (?:(?!{KIN}\b|of\b)[\w-]+ ){{1,3}})?"
    rf"(?P<s>{P})(?!'s)"
)
SUBJ_VERB_GROUP = re.compile(
    rf"(?P<s>{P})(?:, [^;⟨]*?,|,)? (?:(?:had |has |have )?(?:\w+ly |also |then |later |now )?)"
    rf"(?P<verb>led|leads|heads|headed|commanded|commands|founded|co-founded|formed|"
    rf"established|created|set up|joined|rejoined|took over|took control of|took charge of|"
    rf"took command of|assumed (?:the )?leadership of|belonged to|belongs to|fought (?:with|for)|"
    rf"(?:is|was|are) (?:believed|said|thought|reported) to (?:lead|head)) (?:the )?"
    rf"(?:[\w-]+ ){{0,4}}?(?P<o>{G})"
)
WHO_VERB_GROUP = re.compile(
    rf"(?P<s>{P}), (?:(?!⟨P)[^;.])*?\bwho (?:(?:police|officials|investigators|prosecutors) "
    rf"(?:said|say|believe) )?(?:had |has )?(?:\w+ly )?"
    rf"(?P<verb>founded|co-founded|formed|set up|established|created|led|leads|heads|headed|"
    rf"joined) (?:the )?(?:[\w-]+ ){{0,4}}?(?P<o>{G})"
)
WHICH_HE_LED = re.compile(
    rf"(?P<o>{G})(?:[^.;⟨]*?)?,? which (?P<s>{P}) (?:\w+ )?(?P<verb>led|founded|headed|formed|"
    rf"set up|established|created)"
)
LINK_CUES = (
    (r"in league with|colluding with|working with", "ties"),
    (
        r"(?:seen as |considered )?close to|close ties (?:to|with)|ties (?:to|with)|"
        r"links? (?:to|with)|connections? (?:to|with)|linked (?:to|with)",
        "ties",
    ),
    (
        r"allied (?:with|to)|(?:an? )?(?:close )?all(?:y|ies) of|alliance with|"
        r"fought alongside|fighting alongside",
        "ally",
    ),
    (
        r"clashed (?:\w+ )?with (?:(?:its|their|⟨G\d+⟩'s) )?rivals?|(?:its|their|a) rival",
        "rival",
    ),
    (
        r"affiliated? (?:with|to|of)|(?:a |an )?(?:faction|branch|wing|offshoot|front|arm) "
        r"(?:within|of|for)|an? alias (?:of|for)|(?:a |an )?proxy (?:of|for)",
        "affiliate",
    ),
    (r"merged (?:with|into)|rejoined|re-joined|joined forces with|merger with", "merger"),
    (
        r"(?:a |the )?splinter (?:group |faction )?(?:of|from)|broke away from|split from",
        "splinter",
    ),
)
RIVALS = re.compile(
    rf"(?P<a>{G}) and (?:the )?(?P<b>{G}) (?:are|were|have been|had been|remain) (?:\w+ )?"
    rf"(?P<kind>rivals|allies)\b"
)
# "P is accused of being a commander of G", "P was identified as a militant of G"
ROLE_AS = re.compile(
    rf"(?P<s>{P}){APPOSITION} (?:is|was|were|are|has been|had been) (?:\w+ly )?(?:also )?"
    rf"(?P<verb>accused of being|suspected of being|identified as|described as|believed to be|"
    rf"said to be|thought to be) (?:a|an|the) (?P<mods>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES}) "
    rf"(?:of|for|in|with) {GROUP_WORDS}(?P<o>{G})"
)
SECOND_IN_COMMAND = re.compile(
    rf"(?P<s>{P}){APPOSITION} (?:is|was|has been|had been|became|serves as|served as) "
    rf"(?:the )?second[- ]in[- ]command (?:of|in|to) (?:the )?(?P<o>{G})"
)
SPEAKS_FOR = re.compile(rf"(?P<s>{P}),? who (?:speaks|spoke|has spoken) for (?:the )?(?P<o>{G})")
# "G said P was one of its fighters": the group's own claim of a member. A possessive
# naming another group ("one of JeM's commanders") makes that group the object.
ONE_OF_ITS = re.compile(
    rf"(?P<o>{G}) (?:has |had )?(?:said|says|claimed|claims|announced) (?:that )?(?P<s>{P}) "
    rf"(?:was|is|had been) (?:one of (?:its|(?P<g1>{G})'s)|its|(?P<g2>{G})'s|a|an) (?:[\w-]+ )?"
    rf"(?:fighters?|members?|commanders?|militants?|operatives?)\b"
)
LINKED_ADJ = re.compile(
    rf"(?P<o>{G})-(?P<kind>linked|allied|affiliated|aligned|backed) (?:[\w-]+ ){{0,3}}?(?P<s>{G})"
)
FACTION_APPOS = re.compile(
    rf"(?P<s>{G}), (?:a|an|the|one) (?:[\w-]+ )?(?P<o>{G})(?:'s)? (?:[\w-]+ )?"
    rf"(?P<kind>faction|branch|wing|offshoot|splinter group|affiliate|ally|splinter)\b"
)
ALLEGIANCE = re.compile(
    rf"(?P<s>{PG})(?:{APPOSITION}|,? (?:which|who|that)) (?:has |had |have )?(?:\w+ly )?"
    rf"(?:pledged|swore|sworn|declared|renewed) (?:(?P<g>{G})'s |its |his |their )?"
    rf"(?:allegiance|loyalty|fealty|bay'ah|bayat) to (?:the )?(?P<o>{G})"
)
MERGER_OF = re.compile(r"\bfrom (?:the |a )?merger of (?P<list>[^;.]*)")
LINK = re.compile("|".join(rf"(?P<k{i}>\b(?:{cue})\b)" for i, (cue, _) in enumerate(LINK_CUES)))
CLAUSE_END = re.compile(r"\b(?:although|but|while|whereas|though)\b|;|, (?:which|who|whose) ")
FORMED_FROM = re.compile(
    rf"\b(?:formed|founded|created|set up)\b[^.;]*? by (?:[\w-]+ ){{0,3}}(?:fighters|members|"
    rf"militants|commanders|defectors) (?:from|of) (?:the )?(?P<o>{G})"
)
CLAIM = re.compile(
    rf"(?P<s>{PG}){APPOSITION} (?:has |had |have )?(?:\w+ly )?claimed "
    rf"(?:(?:responsibility|credit) (?:(?:late |early )?on \w+ |in a statement )?for )?"
    rf"(?:the |a |an )?(?P<o>{LIST(E)})"
)
CARRIED_OUT = re.compile(
    rf"(?P<s>{PG}){APPOSITION} (?:has |had |have )?(?:\w+ly )?(?:carried out|conducted|staged|"
    rf"perpetrated|planned|plotted|"
    rf"masterminded|was behind|were behind|is behind|are behind|orchestrated)\b(?P<tail>[^;]*)"
)
# "X said it had carried out the attack": the group's own claim. The second slot must be
# the speaker itself ("it", its name again); "X said Y carried out" is Y's, read elsewhere.
SAID_IT_CARRIED_OUT = re.compile(
    rf"(?P<s>{G}) (?:has |had )?(?:said|says|claimed|announced|declared) (?:that )?(?P<g>{G}) "
    rf"(?:had |has )?(?:carried out|staged|conducted|was behind)\b(?P<tail>[^;]*)"
)
CARRIED_OUT_BY = re.compile(
    rf"(?P<o>{E})(?:, [^;⟨]*?,)? (?:had been |has been |have been |was |were |is |are )?"
    rf"(?:\w+ly )?(?P<verb>carried out|staged|perpetrated|masterminded|orchestrated|claimed) "
    rf"by (?:{GROUP_WORDS})?(?P<s>{LIST(PG)})"
)
AMONG_ATTACKERS = re.compile(
    rf"(?P<s>{LIST(P)}){APPOSITION} (?:was|were) (?:also )?among the (?:suicide )?"
    rf"(?:bombers|attackers|gunmen|assailants|hijackers)"
)
MASTERMIND = re.compile(
    rf"(?P<s>{P}){APPOSITION},? (?:as |was |is |to be )?(?:the |a )?(?P<hedge>(?:likely|suspected|"
    rf"alleged|presumed|possible) )?(?:[\w-]+ )?mastermind(?: (?:of|behind) (?:the )?(?P<o>{E}))?"
)
BROTHERS = re.compile(
    rf"\b(?:[Tt]wo|[Tt]hree|[Ff]our) (?P<kin>brothers|sisters|cousins),? (?P<list>{LIST(P)})"
)
CONVICTED = re.compile(
    rf"\b(?:convicted|sentenced) (?P<s>{LIST(P)}){APPOSITION} (?:[\w-]+ ){{0,4}}?"
    rf"(?:over|for|of|in) (?:the )?(?P<o>{E})"
)
INDICTED = re.compile(
    rf"(?P<s>{LIST(P)}){APPOSITION} (?:was|were|has been|had been|is|are) (?:\w+ly )?(?:also )?"
    rf"(?:indicted|charged|wanted|accused|prosecuted) (?:[^;⟨]*?(?:⟨L\d+⟩[^;⟨]*?)*?)"
    rf"\b(?:over|for|in connection with|of|with) (?:the |a |an )?(?:[\w-]+ ){{0,3}}?(?P<o>{E})"
)
CONVICTED_PASSIVE = re.compile(
    rf"(?P<s>{LIST(P)}){APPOSITION} (?:was|were|has been|had been) (?:\w+ly )?"
    rf"(?:convicted|found guilty) (?:[\w-]+ ){{0,4}}?(?:over|for|of|in) (?:the )?(?P<o>{E})"
)
ACCUSED = re.compile(
    rf"\b(?:accused|accuse|accuses|accusing|blamed|blame|blames|suspect|suspected) "
    rf"(?P<s>{PG}) (?:of|for) (?:(?:[\w-]+ ){{0,3}}?)(?:the )?(?P<o>{E})"
)
BLAMES_FOR = re.compile(
    rf"(?P<s>{PG}) (?:\w+ ){{0,2}}(?:blames?|blamed|accuses?|accused) (?:\w+ )?for (?P<o>{E})"
)
INVOLVED = re.compile(
    rf"\b(?:involvement|involved|role|hand|complicity|part) in (?:the |an? )?(?P<o>{E})"
)
ATTACKER_APPOS = re.compile(
    rf"\b(?:attacker|bomber|gunman|assailant|hijacker)s?(?: [\w ]+?)?, (?P<s>{P})"
)
BOMBER_AS = re.compile(
    rf"\bidentified the (?:suicide )?(?:bomber|attacker|gunman|assailant) as (?P<s>{P})"
)
ORG_DESIGNATES = re.compile(
    rf"(?P<o>{O}),? (?:which |that )?(?:has |had |have )?(?:\w+ly )?(?:designated|listed|lists|"
    rf"banned|proscribed|blacklisted|outlawed) (?P<s>{LIST(PG)})"
)
DESIGNATED_BY = re.compile(
    rf"\b(?:designated|listed|banned|proscribed|blacklisted|sanctioned)\b[^.;⟨]*? by "
    rf"(?:the )?(?P<o>{O})"
)
ADDED_TO_LIST = re.compile(
    rf"\badded (?P<s>{LIST(PG)}) to (?:its|their|the) (?:[\w-]+ )?(?:sanctions|terror(?:ism|ist)?)"
    rf"(?: \w+)? list"
)
SANCTIONS_ON = re.compile(rf"\bimposed sanctions on (?P<s>{LIST(PG)})")
ON_LIST = re.compile(
    rf"\bon (?:the )?(?P<o>{O})(?:'s)? (?:[\w-]+ )?(?:sanctions|terror(?:ism|ist)?|blacklist)"
    rf"(?: \w+)? list"
)
ON_LIST_OF = re.compile(
    rf"\bon (?:the|a|its) (?:[\w-]+ )?(?:sanctions|terror(?:ism|ist)?|black) ?list (?:of|kept by|"
    rf"maintained by) (?:the )?(?P<o>{O})"
)
KIN_OF_OWNER = re.compile(
    rf"(?P<owner>{P}'s|\b[Hh]is|\b[Hh]er)(?: (?:\w+ ){{0,2}}?)? {KIN_MODS}(?P<kin>{KIN}),? "
    rf"(?:(?:identified|named|known)(?: [\w ]+?)? as )?(?P<list>{LIST(P)})"
)
KIN_POSS_APPOS = re.compile(rf"(?P<s>{P}), (?:the )?(?P<o>{P})'s {KIN_MODS}(?P<kin>{KIN}),")
ASSOCIATE_WORDS = (
    r"(?:aides?|associates?|bodyguards?|confidants?|lieutenants?|accomplices?|co-accused|"
    r"co-defendants?|co-conspirators?)"
)
ASSOCIATE_OF_OWNER = re.compile(
    rf"(?P<owner>{P}'s|\b[Hh]is|\b[Hh]er) (?:(?:close|top|senior|key|former|trusted|"
    rf"long-time|longtime) )?(?P<kind>{ASSOCIATE_WORDS}),? (?P<list>{LIST(P)})"
)
ASSOCIATE_APPOS = re.compile(
    rf"(?P<s>{P}),(?: \d+,)? (?:a|an|the|another|his|her) (?:(?:close|top|senior|key|former|"
    rf"trusted|long-time|longtime|personal) )*(?:aide|associate|confidant|bodyguard|"
    rf"accomplice|co-accused|secretary) (?:of|to) (?P<o>{P})"
)
ASSOCIATE_LIST = re.compile(
    rf"\b(?:(?:two|three|four|five|six|several|his|her|the) )?(?:co-accused|co-defendants|"
    rf"co-conspirators|accomplices),? (?P<list>{LIST(P)})"
)
KIN_APPOS = re.compile(
    rf"(?P<s>{P}),(?: \d+,)? (?:{APPOS_PREFIX})?(?:the |a )?{KIN_MODS}(?P<kin>{KIN}) of (?P<o>{P})"
)
DEAD_AMONG = re.compile(
    r"\b(?:[Aa]mong (?:the dead|those killed|the victims|the people killed) (?:was|were) |"
    r"[Tt]he (?:dead|victims) (?:\w+ )?included |[Tt]hose killed (?:\w+ )?(?:included|were) |"
    r"(?:was|were) (?:also )?killed,? including )(?P<list>[^;]*)"
)
AMONG_KILLED_IN = re.compile(
    rf"(?P<list>{LIST(P)}){APPOSITION} (?:was|were) (?:also )?among (?:those|the people|the "
    rf"\d+ people|the victims) killed in (?:the |a |an )?(?P<o>{E})"
)
COPULA_KIN = re.compile(
    rf"(?P<s>{P}) (?:is|was) (?:the|a|an) {KIN_MODS}(?P<kin>{KIN}) of (?P<o>{P})(?!'s)"
)
DEAD_AMONG_AFTER = re.compile(rf"(?P<list>{LIST(P)}) (?:was|were) (?:also )?among the dead")
KILLED_IN = re.compile(
    rf"(?P<list>{LIST(P)})(?:{APPOSITION}|,? who) (?:who )?"
    rf"(?:was|were|had been|has been|have been) "
    rf"(?:also |later |reportedly |allegedly )?(?:killed|shot dead|assassinated) "
    rf"(?:[\w-]+ ){{0,3}}?in (?:a |an |the )?(?P<o>{E})"
)
KILLING = re.compile(r"\bkilling (?P<list>[^;]*)")
# Where a list of victims ends: a reporting clause, a relative clause, a new clause.
LIST_END = re.compile(
    r",? (?:(?:[\w-]+ |⟨[A-Z]\d+⟩ ){0,4}?(?:said|says|told|according|cited|quoted|added|"
    r"reported|claimed|stated|announced|confirmed)\b|who |which |whose |when |but |while )|\. "
    r"|,? (?:and )?(?:wounding|injuring|leaving|prompting|sparking|forcing|among the "
    r"(?:wounded|injured))\b"
)
NOT_VICTIM_BEFORE = re.compile(r"\b(?:of|by|for|to|from|with|against|under) (?:the )?$")


def _find_his_relatives(text: str, owner: str | None, state: DocumentState) -> list[str]:
    """'his two sons' -> the sons of `owner` named earlier in the article."""
    if owner is None:
        return []
    m = re.search(rf"\bhis (?:\w+ )?({KIN})\b", text)
    if not m:
        return []
    kin = m.group(1).rstrip("s")
    return state.relatives.get((owner, kin), [])


# "X has denied that he leads Y": what follows is the denied claim, never a fact.
DENIED_THAT = re.compile(
    r"\b(?:denied|denies|deny|denying|rejected|rejects|dismissed)(?: (?:reports|claims|"
    r"allegations|suggestions|accusations))? that (?:⟨[PG]\d+⟩(?:'s)? )?$"
)


def surface(view: SentenceView, state: DocumentState) -> Iterator[Candidate]:
    """Every surface pattern over the sentence template, less those whose words follow
    "denied that" (the denials themselves are read by :func:`denials`)."""
    t = view.template
    for cand in _surface(view, state):
        at = t.find(cand.cue) if cand.cue else -1
        if at > 0 and DENIED_THAT.search(t[:at]):
            continue
        yield cand


def _surface(view: SentenceView, state: DocumentState) -> Iterator[Candidate]:
    t = view.template
    if "⟨" not in t:
        # Every candidate below takes at least one end from a placeholder of the
        # template (the others may come from the document state), and nothing here
        # changes the state without a candidate: a sentence naming no one yields none.
        # About half the sentences are such; their regex scans were the most of the cost.
        return

    def slot(key: str) -> Slot:
        return view.slot(key)

    # First, so the group's own claim is recorded as one, not as the copula's report.
    for m in ONE_OF_ITS.finditer(t):
        speaker = slot(m.group("o"))
        named = m.group("g1") or m.group("g2")
        holder = slot(named) if named else speaker
        own = holder.names == speaker.names  # "its", or the speaker's own name again
        yield Candidate(slot(m.group("s")), "member_of", holder, "role", m.group(0), claimed=own)
    for regex in (
        ROLE_APPOS,
        APPOS_ROLE_G,
        APPOS_ROLE_OF_G,
        ROLE_OF_G_APPOS,
        NAMED_AS,
        DESCRIBED_AS,
        COPULA_ROLE,
    ):
        for m in regex.finditer(t):
            gd = m.groupdict()
            role = gd.get("role") or gd.get("role2")
            obj = gd.get("o") or gd.get("o2")
            if not role or not obj:
                continue
            mods = " ".join(
                x for x in (gd.get("mods0"), gd.get("mods"), gd.get("mods2"), gd.get("mods3")) if x
            )
            if gd.get("of"):
                mods += " " + gd["of"]
            for predicate, qualifier in _role_predicate(role, mods):
                yield Candidate(
                    slot(m.group("s")), predicate, slot(obj), "role", m.group(0), role=qualifier
                )
    for m in SUCCESSOR.finditer(t):
        new_leader = slot(m.group("s") or m.group("s2"))
        old_leader = slot(m.group("o") or m.group("o2")).names[0]
        for group_name, leader in list(state.leaders.items()):
            if leader == old_leader:
                group_slot = Slot(-1, -1, "MilitantGroup", (group_name,))
                yield Candidate(new_leader, "leader_of", group_slot, "role", m.group(0))
    for m in WHOSE_ROLE.finditer(t):
        for predicate, qualifier in _role_predicate(m.group("role"), ""):
            yield Candidate(
                slot(m.group("s")),
                predicate,
                slot(m.group("o")),
                "role",
                m.group(0),
                role=qualifier,
            )

    for m in ROLE_AS.finditer(t):
        hedged = m.group("verb").startswith(("accused", "suspected", "believed", "thought"))
        for predicate, qualifier in _role_predicate(m.group("role"), m.group("mods")):
            yield Candidate(
                slot(m.group("s")),
                predicate,
                slot(m.group("o")),
                "role",
                m.group(0),
                role=qualifier,
                alleged=hedged,
            )
    for m in SECOND_IN_COMMAND.finditer(t):
        yield Candidate(
            slot(m.group("s")), "leader_of", slot(m.group("o")), "role", m.group(0), role="deputy"
        )
    for m in SPEAKS_FOR.finditer(t):
        yield Candidate(slot(m.group("s")), "member_of", slot(m.group("o")), "role", m.group(0))
    for m in LED_BY.finditer(t):
        group = _group_before(view, m.start())
        if re.search(r",? and (?:is|was|are|were|has been|had been) $", t[: m.start()]):
            # "JNIM was formed from ... Ansar Dine and al-Mourabitoun, and is led by X":
            # the coordinated verb shares the sentence's subject
            first = view.slots_in(t[: m.start()], "G")
            group = first[0] if first else None
        if group is None:
            continue
        leads = m.group("verb") in ("led", "headed", "commanded")
        predicate = "leader_of" if leads else "founder_of"
        yield Candidate(slot(m.group("s")), predicate, group, "verb", t[m.start() : m.end()])
        if m.group("kin"):
            owner = view.nearest_before(m.start("kin"), "P")
            if owner is not None:
                yield _kin(slot(m.group("s")), owner, m.group("kin"), m.group(0), state)
    for regex in (SUBJ_VERB_GROUP, WHO_VERB_GROUP, WHICH_HE_LED):
        for m in regex.finditer(t):
            verb = m.group("verb")
            if verb in ("joined", "belonged to", "belongs to") or verb.startswith("fought"):
                predicate, role = "member_of", None
            elif verb.endswith((" lead", " head")):  # "is believed to lead"
                predicate, role = "leader_of", None
            elif verb == "rejoined":
                continue
            elif verb in ("led", "leads", "heads", "headed", "commanded", "commands") or (
                verb.startswith(("took", "assumed"))
            ):
                predicate = "leader_of"
                role = (
                    "former" if re.search(r"\b(?:previously|formerly|once)\b", m.group(0)) else None
                )
            else:
                predicate, role = "founder_of", None
            yield Candidate(
                slot(m.group("s")), predicate, slot(m.group("o")), "verb", m.group(0), role=role
            )

    # linked_to
    for m in LINK.finditer(t):
        kind = next(LINK_CUES[int(k[1:])][1] for k, v in m.groupdict().items() if v)
        subject = _group_before(view, m.start(), types="PG")
        if subject is None:
            continue
        tail = t[m.end() :]
        stop = CLAUSE_END.search(tail)
        tail = tail[: stop.start()] if stop else tail
        objects = view.slots_in(tail, "G")
        for obj in objects:
            if obj.names != subject.names:
                yield Candidate(
                    subject,
                    "linked_to",
                    obj,
                    "link",
                    t[max(0, m.start() - 40) : m.end()],
                    link_kind=kind,
                )
    for m in RIVALS.finditer(t):
        yield Candidate(
            slot(m.group("a")),
            "linked_to",
            slot(m.group("b")),
            "link",
            m.group(0),
            link_kind="rival" if m.group("kind") == "rivals" else "ally",
        )
    for m in LINKED_ADJ.finditer(t):
        adjective = {"linked": "ties", "backed": "ties", "allied": "ally"}.get(m.group("kind"))
        yield Candidate(
            slot(m.group("s")),
            "linked_to",
            slot(m.group("o")),
            "link",
            m.group(0),
            link_kind=adjective or "affiliate",
        )
    for m in FACTION_APPOS.finditer(t):
        word = m.group("kind")
        kind = "ally" if word == "ally" else "splinter" if "splinter" in word else "affiliate"
        yield Candidate(
            slot(m.group("s")), "linked_to", slot(m.group("o")), "link", m.group(0), link_kind=kind
        )
    for m in ALLEGIANCE.finditer(t):
        # "Godane had pledged the group's allegiance to al-Qaeda": the group is linked
        subject = slot(m.group("g") or m.group("s"))
        if subject is not None:
            yield Candidate(
                subject,
                "linked_to",
                slot(m.group("o")),
                "link",
                t[max(0, m.start() - 40) : m.end()],
                link_kind="affiliate",
            )
    for m in MERGER_OF.finditer(t):
        formed = _group_before(view, m.start(), "G")
        if formed is None:
            continue
        for part in view.slots_in(m.group("list"), "G"):
            if part.names != formed.names:
                yield Candidate(formed, "linked_to", part, "link", m.group(0), link_kind="merger")
    for m in FORMED_FROM.finditer(t):
        subject = _group_before(view, m.start(), types="G")
        if subject is not None:
            yield Candidate(
                subject, "linked_to", slot(m.group("o")), "link", m.group(0), link_kind="splinter"
            )
    for branch, parent in state.branches:
        if any(s.kind == "branch" and s.names == (branch,) for s in view.slots):
            b = Slot(-1, -1, "MilitantGroup", (branch,))
            p = Slot(-1, -1, "MilitantGroup", (parent,))
            yield Candidate(b, "linked_to", p, "link", "", link_kind="affiliate")

    # responsible_for
    for m in CLAIM.finditer(t):
        for obj in view.slots_in(m.group("o"), "E"):
            yield Candidate(
                slot(m.group("s")), "responsible_for", obj, "claim", m.group(0), claimed=True
            )
    for m in SAID_IT_CARRIED_OUT.finditer(t):
        if slot(m.group("g")).names != slot(m.group("s")).names:
            continue  # the speaker names another group: not its own claim
        events = view.slots_in(m.group("tail"), "E")
        fallback = _event_slot(view, state) if not events else None
        for obj in events or ([fallback] if fallback is not None else []):
            yield Candidate(
                slot(m.group("s")), "responsible_for", obj, "claim", m.group(0), claimed=True
            )
    for m in CARRIED_OUT.finditer(t):
        for obj in view.slots_in(m.group("tail"), "E"):
            yield Candidate(slot(m.group("s")), "responsible_for", obj, "carried", m.group(0))
    for m in CARRIED_OUT_BY.finditer(t):
        for subject in view.slots_in(m.group("s"), "PG"):
            yield Candidate(
                subject,
                "responsible_for",
                slot(m.group("o")),
                "claim" if m.group("verb") == "claimed" else "carried",
                m.group(0),
                claimed=m.group("verb") == "claimed",
            )
    for regex in (CONVICTED, CONVICTED_PASSIVE):
        for m in regex.finditer(t):
            for subject in view.slots_in(m.group("s"), "P"):
                yield Candidate(
                    subject, "responsible_for", slot(m.group("o")), "convicted", m.group(0)
                )
    for m in INDICTED.finditer(t):
        for subject in view.slots_in(m.group("s"), "P"):
            yield Candidate(
                subject,
                "responsible_for",
                slot(m.group("o")),
                "accused",
                _clause_before(t, m.start()) + m.group(0),
                alleged=True,
            )
    for regex in (AMONG_ATTACKERS, MASTERMIND):
        for m in regex.finditer(t):
            target = m.groupdict().get("o")
            event = slot(target) if target else _event_slot(view, state)
            if event is None:
                continue
            for subject in view.slots_in(m.group("s"), "P"):
                yield Candidate(
                    subject,
                    "responsible_for",
                    event,
                    "attacker",
                    m.group(0),
                    alleged=bool(m.groupdict().get("hedge")),
                )
    for regex in (ACCUSED, BLAMES_FOR):
        for m in regex.finditer(t):
            yield Candidate(
                slot(m.group("s")),
                "responsible_for",
                slot(m.group("o")),
                "accused",
                m.group(0),
                alleged=True,
            )
    for m in INVOLVED.finditer(t):
        subject = view.nearest_before(m.start(), "PG")
        if subject is not None:
            yield Candidate(
                subject,
                "responsible_for",
                slot(m.group("o")),
                "involved",
                _clause_before(t, m.start()) + t[m.start() : m.end()],
                alleged=True,
            )
    for regex in (ATTACKER_APPOS, BOMBER_AS):
        for m in regex.finditer(t):
            event = _event_slot(view, state)
            if event is not None:
                claimed = regex is BOMBER_AS
                yield Candidate(
                    slot(m.group("s")),
                    "responsible_for",
                    event,
                    "attacker",
                    m.group(0),
                    claimed=claimed,
                )
            if regex is BOMBER_AS:
                group = view.nearest_before(m.start(), "G")
                if group is not None:
                    yield Candidate(
                        slot(m.group("s")), "member_of", group, "attacker", m.group(0), claimed=True
                    )

    # designated_by
    for m in DESIGNATED_BY.finditer(t):
        subject = view.nearest_before(m.start(), "PG")
        if subject is not None:
            yield Candidate(
                subject,
                "designated_by",
                slot(m.group("o")),
                "designated",
                t[max(0, m.start() - 30) : m.end()],
            )
    for m in ORG_DESIGNATES.finditer(t):
        for target in view.slots_in(m.group("s"), "PG"):
            yield Candidate(target, "designated_by", slot(m.group("o")), "designated", m.group(0))
    for regex in (ADDED_TO_LIST, SANCTIONS_ON):
        for m in regex.finditer(t):
            org = view.nearest_before(m.start(), "O") or _org_pronoun(view, m.start(), state)
            if org is None:
                continue
            for s in view.slots_in(m.group("s"), "PG"):
                yield Candidate(s, "designated_by", org, "designated", m.group(0))
    for m in [*ON_LIST.finditer(t), *ON_LIST_OF.finditer(t)]:
        subject = view.nearest_before(m.start(), "PG")
        if subject is not None:
            yield Candidate(
                subject,
                "designated_by",
                slot(m.group("o")),
                "designated",
                t[max(0, m.start() - 20) : m.end()],
            )

    # relative_of
    for m in KIN_OF_OWNER.finditer(t):
        owner_text = m.group("owner")
        if owner_text.lower() in ("his", "her"):
            owner = view.nearest_before(m.start(), "P", skip_possessive=False)
            if owner is None and state.last_person is not None and m.start() < 3:
                owner = Slot(-1, -1, "Person", (state.last_person,))
        else:
            owner = slot(owner_text[:-2])
        if owner is None:
            continue
        for rel in view.slots_in(m.group("list"), "P"):
            if rel.names != owner.names:
                yield _kin(rel, owner, m.group("kin"), m.group(0), state)
    for regex in (KIN_APPOS, KIN_POSS_APPOS, COPULA_KIN):
        for m in regex.finditer(t):
            if slot(m.group("s")).names != slot(m.group("o")).names:
                yield _kin(
                    slot(m.group("s")), slot(m.group("o")), m.group("kin"), m.group(0), state
                )

    for m in BROTHERS.finditer(t):
        people = view.slots_in(m.group("list"), "P")
        word = m.group("kin")[:-1]
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                if a.names != b.names:
                    yield Candidate(a, "relative_of", b, "kin", m.group(0), relation=word)

    # associate_of: aides, associates, co-accused
    for m in ASSOCIATE_OF_OWNER.finditer(t):
        owner_text = m.group("owner")
        if owner_text.lower() in ("his", "her"):
            owner = view.nearest_before(m.start(), "P", skip_possessive=False)
        else:
            owner = slot(owner_text[:-2])
        if owner is None:
            continue
        for person in view.slots_in(m.group("list"), "P"):
            if person.names != owner.names:
                yield Candidate(person, "associate_of", owner, "associate", m.group(0))
    for m in ASSOCIATE_APPOS.finditer(t):
        yield Candidate(
            slot(m.group("s")), "associate_of", slot(m.group("o")), "associate", m.group(0)
        )
    for m in ASSOCIATE_LIST.finditer(t):
        people = view.slots_in(m.group("list"), "P")
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                if a.names != b.names:
                    yield Candidate(a, "associate_of", b, "associate", m.group(0))

    # killed_in (surface forms; verbs are read from the parse)
    for m in [*KILLED_IN.finditer(t), *AMONG_KILLED_IN.finditer(t)]:
        for victim in view.slots_in(m.group("list"), "P"):
            yield Candidate(victim, "killed_in", slot(m.group("o")), "killed", m.group(0))
    event = None
    for regex in (DEAD_AMONG, DEAD_AMONG_AFTER, KILLING):
        for m in regex.finditer(t):
            event = event or _event_slot(view, state)
            if event is None:
                break
            listed = m.group("list")
            end = LIST_END.search(listed)
            listed = listed[: end.start()] if end else listed
            victims = []
            for s in view.slots_in(listed, "P"):
                at = listed.find(_key(view, s))
                if listed.startswith("'s", at + len(_key(view, s))):
                    continue  # "two of Raymi's aides": the owner, not a victim
                if NOT_VICTIM_BEFORE.search(listed[:at]):
                    continue  # "killing the brother of X"
                victims.append(s)
            owner = view.nearest_before(m.start("list"), "P", skip_possessive=False)
            extra = _find_his_relatives(listed, owner.names[0] if owner else None, state)
            victims += [Slot(-1, -1, "Person", (n,)) for n in extra]
            for victim in victims:
                yield Candidate(victim, "killed_in", event, "killed", m.group(0))


def _key(view: SentenceView, slot: Slot) -> str:
    idx = view.slots.index(slot)
    return f"⟨P{idx}⟩"


CLAUSE_START = re.compile(r"(?:^|;|\bbut\b|\balthough\b|\bwhile\b|, (?:who|which)\b)")


def _clause_before(t: str, pos: int) -> str:
    """The template from the start of the clause holding `pos` (for negation checks):
    "there was not enough evidence that they took part in the attack"."""
    starts = [m.end() for m in CLAUSE_START.finditer(t, 0, pos)]
    return t[(starts[-1] if starts else 0) : pos]


def _kin(rel: Slot, owner: Slot, kin: str, cue: str, state: DocumentState) -> Candidate:
    word = kin.lower()
    word = (
        re.sub(r"s$", "", word)
        if not word.endswith("-law")
        else word.replace("sons-", "son-").replace("brothers-", "brother-")
    )
    if word in ("wive",):
        word = "wife"
    state.relatives.setdefault((owner.names[0], word), [])
    if rel.names[0] not in state.relatives[(owner.names[0], word)]:
        state.relatives[(owner.names[0], word)].append(rel.names[0])
    return Candidate(rel, "relative_of", owner, "kin", cue, relation=word)


FACTION_OF = re.compile(
    r"(?:faction|branch|wing|part|unit|offshoot|splinter group) (?:within|of|from) (?:the )?$"
)


def _group_before(view: SentenceView, pos: int, types: str = "G") -> Slot | None:
    """The group a verb or cue at `pos` is about: the nearest one to its left, skipping
    the second group of "X, a faction within Y" (the apposition describes X)."""
    t = view.template
    found = [m for m in PLACEHOLDER.finditer(t, 0, pos) if m.group(1) in types]
    found = [m for m in found if not t.startswith("'s", m.end())]
    while found:
        m = found[-1]
        if FACTION_OF.search(t[: m.start()]) and len(found) > 1:
            found.pop()
            continue
        return view.slots[int(m.group(2))]
    return None


def _org_pronoun(view: SentenceView, pos: int, state: DocumentState) -> Slot | None:
    """ "It also imposed sanctions": the organisation the previous sentences spoke of."""
    if re.search(r"\b(?:It|it)\b", view.template[:pos]) and state.last_org:
        return Slot(-1, -1, "Organization", (state.last_org[-1],))
    return None


# --- denials ------------------------------------------------------------------------

DENY = r"(?:has |had |have )?(?:\w+ly )?(?:denied|denies|deny|denying|rejected|rejects)"
DENIED_ROLE = re.compile(
    rf"(?P<s>{P}){APPOSITION},? {DENY} (?:ever )?(?:being|that (?:he|she) (?:was|is|had been)) "
    rf"(?:a |an |the )?(?P<mods>(?:[\w-]+ ){{0,2}}?)(?P<role>{ROLES}|part) (?:of|in) "
    rf"(?:the )?(?P<o>{G})"
)
DENIED_LEADING = re.compile(
    rf"(?P<s>{P}){APPOSITION},? {DENY} (?:ever )?(?P<verb>leading|heading|founding|joining) "
    rf"(?:the )?(?P<o>{G})"
)
DENIED_VERB_PREDICATE = {"leading": "leader_of", "heading": "leader_of", "founding": "founder_of"}
DENIED_EVENT = re.compile(
    rf"(?P<s>{PG}){APPOSITION},? {DENY} (?:any )?(?:role|involvement|responsibility|hand|part) "
    rf"(?:in|for) (?:the )?(?P<o>{E})"
)
DENIED_LINKS = re.compile(
    rf"(?P<s>{PG}){APPOSITION},? {DENY} (?:any |having any )?(?:links?|ties|connections?) "
    rf"(?:to|with) (?:the )?(?P<o>{G})"
)


def denials(view: SentenceView) -> Iterator[Candidate]:
    """Relations the text says someone denies ("X denied being a member of Y"): kept as
    modality "denied" so the graph records the denial and never the relation."""
    t = view.template
    for m in DENIED_ROLE.finditer(t):
        role = m.group("role")
        found = [("member_of", None)] if role == "part" else _role_predicate(role, m["mods"])
        for predicate, _ in found:
            yield Candidate(
                view.slot(m["s"]), predicate, view.slot(m["o"]), "denied", m[0], denied=True
            )
    for m in DENIED_LEADING.finditer(t):
        yield Candidate(
            view.slot(m["s"]),
            DENIED_VERB_PREDICATE.get(m["verb"], "member_of"),
            view.slot(m["o"]),
            "denied",
            m[0],
            denied=True,
        )
    for regex, predicate in ((DENIED_EVENT, "responsible_for"), (DENIED_LINKS, "linked_to")):
        for m in regex.finditer(t):
            yield Candidate(
                view.slot(m["s"]), predicate, view.slot(m["o"]), "denied", m[0], denied=True
            )


# --- dependency patterns -------------------------------------------------------------

KILL_VERBS = frozenset({"kill", "die", "assassinate", "succumb", "behead", "execute"})
DESIGNATE_VERBS = frozenset({"designate", "ban", "list", "proscribe", "blacklist", "sanction"})
CLAIM_VERBS = frozenset({"claim"})
TRAIN_VERBS = frozenset({"train", "recruit", "arm", "fund", "finance", "send", "dispatch"})


def _mentions_of(view: SentenceView, token, types: str) -> list[Slot]:  # type: ignore[no-untyped-def]
    """Mentions at a token and its conjuncts and appositions (a coordinated list)."""
    out: list[Slot] = []
    seen = set()
    stack = [token]
    while stack:
        tok = stack.pop()
        if tok.i in seen:
            continue
        seen.add(tok.i)
        slot = view.slot_at_token(tok.i)
        if slot is not None and _letter(slot) in types:
            if slot not in out:
                out.append(slot)
        for child in tok.children:
            if child.dep_ in ("conj", "appos", "compound") or (
                child.dep_ == "prep" and child.lower_ == "including"
            ):
                stack.append(child)
            if child.dep_ == "pobj" and tok.lower_ == "including":
                stack.append(child)
    return out


def _letter(slot: Slot) -> str:
    return {
        "Person": "P",
        "MilitantGroup": "G",
        "Organization": "O",
        "Location": "L",
        "Event": "E",
    }[slot.type]


def _relative_head(token):  # type: ignore[no-untyped-def]
    """ "who"/"which" -> the noun the relative clause describes."""
    if token.lower_ in ("who", "which", "that", "whom") and token.head.dep_ == "relcl":
        return token.head.head
    return token


# Verb lemmas some branch of :func:`dependency` reads; other verbs yield nothing.
FOUND_VERBS = frozenset({"found", "form", "establish", "create", "lead", "head"})
ATTACK_VERBS = frozenset(
    {"attack", "strike", "hit", "explode", "detonate", "tear", "ambush", "storm"}
)
DEPENDENCY_VERBS = KILL_VERBS | {"shoot"} | DESIGNATE_VERBS | FOUND_VERBS | {"train"} | ATTACK_VERBS


def dependency(view: SentenceView, state: DocumentState) -> Iterator[Candidate]:
    """Verb patterns: victims of kill/die, designations, trained-by membership."""
    if not view.slots:
        # Candidates and the event places this adds all come from the sentence's
        # mentions (slots): a sentence without any gives nothing and changes nothing.
        return
    for token in view.sent:
        if token.pos_ not in ("VERB", "AUX"):
            continue
        lemma = token.lemma_.lower()
        if lemma not in DEPENDENCY_VERBS:
            continue
        deps = {c.dep_: c for c in token.children}
        passive = "auxpass" in deps or "nsubjpass" in deps
        cue = " ".join(
            t.text for t in view.sent.doc[max(view.sent.start, token.i - 4) : token.i + 1]
        )
        if lemma in KILL_VERBS or (
            lemma == "shoot" and any(c.lower_ == "dead" for c in token.children)
        ):
            if (
                token.dep_ in ("acl", "ROOT")
                and token.tag_ == "VBN"
                and "nsubj" not in deps
                and (token.dep_ == "acl" or "nsubjpass" not in deps)
                and not passive
            ):
                subj = token.head if token.dep_ == "acl" else None
                if subj is None:
                    subj = next(
                        (c for c in token.lefts if c.dep_ in ("nsubj", "npadvmod", "nmod")), None
                    )
            elif passive or lemma in ("die", "succumb"):
                subj = deps.get("nsubjpass") or deps.get("nsubj")
            else:
                subj = deps.get("dobj")
                if subj is not None and subj.lower_ in ("himself", "herself", "themselves"):
                    subj = deps.get("nsubj")  # "Shekau killed himself"
            if subj is None:
                continue
            victims = _mentions_of(view, subj, "P")
            for child in token.children:  # "along with Mufti Hassan and Hafiz Dawlat"
                if child.dep_ == "prep" and child.lower_ == "along":
                    for c2 in child.children:
                        for c3 in c2.children:
                            if c3.dep_ == "pobj":
                                victims += _mentions_of(view, c3, "P")
            if not victims:
                continue
            event = None
            if token.dep_ == "relcl":  # "the bombing that killed Hariri"
                head_slot = view.slot_at_token(token.head.i)
                if head_slot is not None and head_slot.type == "Event":
                    event = head_slot
            for tok in [] if event is not None else token.subtree:
                if tok.i in [v for v in subj.subtree]:
                    continue
                slot = view.slot_at_token(tok.i)
                if slot is not None and slot.type == "Event" and slot.event is not None:
                    event = slot
                    break
            own_years = {t.text for t in token.subtree if re.fullmatch(r"(?:19|20)\d\d", t.text)}
            if event is not None and event.event is not None and len(own_years) == 1:
                event.event.year = event.event.year or next(iter(own_years))
            if (
                event is not None
                and event.event is not None
                and own_years
                and (event.event.year or view.doc_year) not in own_years
            ):
                continue  # "since US commandos killed bin Laden in 2011": another event
            if event is None and own_years:
                fallback = _event_slot(view, state)
                if fallback is None or (
                    fallback.event and (fallback.event.year or view.doc_year) not in own_years
                ):
                    continue
            event = event or _event_slot(view, state)
            if event is None:
                continue
            for place in _verb_places(view, token):
                if place not in event.event.places:  # type: ignore[union-attr]
                    event.event.places.append(place)  # type: ignore[union-attr]
            for victim in victims:
                yield Candidate(victim, "killed_in", event, "killed", cue)
        elif lemma in DESIGNATE_VERBS:
            if passive:
                targets = _mentions_of(view, deps["nsubjpass"], "PG") if "nsubjpass" in deps else []
                agent = deps.get("agent")
                orgs = [
                    s
                    for c in (agent.children if agent is not None else [])
                    for s in _mentions_of(view, c, "O")
                ]
            else:
                subj = deps.get("nsubj")
                obj = deps.get("dobj")
                if subj is None or obj is None:
                    continue
                orgs = _mentions_of(view, _relative_head(subj), "O")
                targets = _mentions_of(view, _relative_head(obj), "PG")
            for target in targets:
                for org in orgs:
                    yield Candidate(target, "designated_by", org, "designated", cue)
        elif lemma in FOUND_VERBS and passive:
            # "Boko Haram was founded in Maiduguri in 2002 by the preacher Mohammed Yusuf"
            subj, agent = deps.get("nsubjpass"), deps.get("agent")
            if subj is None or agent is None:
                continue
            predicate = "leader_of" if lemma in ("lead", "head") else "founder_of"
            people = [p for c in agent.children if c.dep_ == "pobj" for p in _agent_people(view, c)]
            for group in _mentions_of(view, _relative_head(subj), "G"):
                for person in people:
                    yield Candidate(person, predicate, group, "verb", cue)
        elif lemma in FOUND_VERBS and not passive:
            subj, obj = deps.get("nsubj"), deps.get("dobj")
            if subj is None or obj is None:
                continue
            predicate = (
                "founder_of" if lemma in ("found", "form", "establish", "create") else "leader_of"
            )
            for person in _mentions_of(view, _relative_head(subj), "P"):
                for group in _mentions_of(view, _relative_head(obj), "G"):
                    yield Candidate(person, predicate, group, "verb", cue)
        elif lemma in ("train",) and passive:
            subj = deps.get("nsubjpass")
            agent = deps.get("agent")
            if subj is None or agent is None:
                continue
            groups = [s for c in agent.children for s in _mentions_of(view, c, "G")]
            for person in _mentions_of(view, subj, "P"):
                for group in groups:
                    yield Candidate(person, "member_of", group, "trained", cue)
        elif lemma in ATTACK_VERBS:
            event = _event_slot(view, state)
            if event is None or event.event is None:
                continue
            places = _verb_places(view, token)
            obj = deps.get("dobj")
            if obj is not None and lemma in ("attack", "strike", "storm"):
                places += [s.names[0] for s in _mentions_of(view, obj, "L")]
            for place in places:
                if place not in event.event.places:
                    event.event.places.append(place)


def _agent_people(view: SentenceView, pobj) -> list[Slot]:  # type: ignore[no-untyped-def]
    """People an agent phrase names: "by Mohammed Yusuf", "by the preacher Mohammed Yusuf";
    not "by the son of X" (the son did it, not X)."""
    if pobj.lower_ in KIN_NOUNS or any(c.dep_ == "prep" for c in pobj.children):
        direct = view.slot_at_token(pobj.i)
        return [direct] if direct is not None and direct.type == "Person" else []
    return _mentions_of(view, pobj, "P")


KIN_NOUNS = frozenset(
    "son sons brother brothers father nephew cousin uncle daughter wife husband".split()
)


EVENT_AT = re.compile(
    rf"(?P<e>{E}) (?:(?:in|at|near|outside|inside) (?:the |a |an )?(?:[\w-]+ ){{0,3}}?(?:of )?)"
    rf"(?P<l>{L})(?!'s)"
)


EVENT_KILLED_AT = re.compile(
    rf"(?P<e>{E}),? (?:that|which) (?:also )?killed [^;⟨]*?(?:⟨P\d+⟩[^;⟨]*?)*?"
    rf"\b(?:in|at) (?P<l>{L})(?!'s)"
)


def surface_places(view: SentenceView) -> None:
    """ "the attack ... in Paris", "a drone strike in the port city of Mukalla", "the
    bombing that killed X and 21 others in Beirut": where the event happened (the parse
    may attach the place to a verb or a victim instead)."""
    for m in [*EVENT_AT.finditer(view.template), *EVENT_KILLED_AT.finditer(view.template)]:
        event = view.slot(m.group("e")).event
        place = view.slot(m.group("l")).names[0]
        if event is not None and place not in event.places:
            event.places.append(place)


def _verb_places(view: SentenceView, verb) -> list[str]:  # type: ignore[no-untyped-def]
    places = []
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ in ("in", "at", "near", "outside", "inside"):
            for obj in child.children:
                if obj.dep_ != "pobj":
                    continue
                for tok in [
                    obj,
                    *obj.conjuncts,
                    *[c for c in obj.children if c.dep_ in ("poss", "compound")],
                ]:
                    slot = view.slot_at_token(tok.i)
                    if slot is not None and slot.type == "Location" and slot.names[0] not in places:
                        places.append(slot.names[0])
                for sub in obj.children:
                    if sub.dep_ == "prep" and sub.lower_ in ("of", "in"):
                        for o2 in sub.children:
                            slot = view.slot_at_token(o2.i)
                            if slot is not None and slot.type == "Location":
                                places.append(slot.names[0])
    return places
