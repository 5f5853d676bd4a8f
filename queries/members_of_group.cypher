// name: members_of_group
// answers: Who belongs to a group (members, leaders and founders), how it is known (strongest modality, sources) and the evidence.
// params: $group (string, default "Lashkar-e-Jhangvi") name or alias of the group, any case
// browser: :param group => 'Lashkar-e-Jhangvi'
MATCH (g:MilitantGroup)
WHERE toLower(g.name) = toLower($group)
   OR any(alias IN coalesce(g.aliases, []) WHERE toLower(alias) = toLower($group))
MATCH (p:Person)-[r:MEMBER_OF|LEADER_OF|FOUNDER_OF]->(g)
WITH g, p, collect(r) AS rels
RETURN p.name AS person,
       g.name AS group,
       [r IN rels | toLower(replace(type(r), '_OF', ''))] AS as,
       [r IN rels WHERE r.role IS NOT NULL | r.role] AS roles,
       [r IN rels | r.modality] AS modalities,
       reduce(n = 0, r IN rels | CASE WHEN r.n_sources > n THEN r.n_sources ELSE n END) AS max_sources,
       reduce(ev = [], r IN rels | ev + r.evidence) AS evidence
ORDER BY person
