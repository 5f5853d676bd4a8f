// name: co_members
// answers: The people who share a group with a given person (as member, leader or founder), per group, with how each side is known.
// params: $person (string, default "Muhammad Usman") name or alias of the person, any case
// browser: :param person => 'Muhammad Usman'
MATCH (p:Person)
WHERE toLower(p.name) = toLower($person)
   OR any(alias IN coalesce(p.aliases, []) WHERE toLower(alias) = toLower($person))
MATCH (p)-[mine:MEMBER_OF|LEADER_OF|FOUNDER_OF]->(g:MilitantGroup)<-[theirs:MEMBER_OF|LEADER_OF|FOUNDER_OF]-(c:Person)
WHERE c <> p
WITH g, c, collect(DISTINCT toLower(replace(type(theirs), '_OF', ''))) AS as,
     collect(DISTINCT theirs.modality) AS their_modality, collect(DISTINCT mine.modality) AS my_modality
RETURN c.name AS co_member,
       g.name AS group,
       as,
       their_modality,
       my_modality
ORDER BY group, co_member
