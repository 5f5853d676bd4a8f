// name: leaders_of_group
// answers: Who has led a group, over time: leaders and founders with their role (acting, deputy, founder...), dates, whether they were killed, and the evidence.
// params: $group (string, default "Lashkar-e-Jhangvi") name or alias of the group, any case
// browser: :param group => 'Lashkar-e-Jhangvi'
MATCH (g:MilitantGroup)
WHERE toLower(g.name) = toLower($group)
   OR any(alias IN coalesce(g.aliases, []) WHERE toLower(alias) = toLower($group))
MATCH (p:Person)-[r:LEADER_OF|FOUNDER_OF]->(g)
OPTIONAL MATCH (p)-[k:KILLED_IN]->(death:Event)
WITH g, p, r, collect(DISTINCT death.name + coalesce(' (' + k.first_date + ')', '')) AS killed_in
RETURN p.name AS leader,
       g.name AS group,
       toLower(replace(type(r), '_OF', '')) AS as,
       r.role AS role,
       r.first_date AS first_date,
       r.last_date AS last_date,
       r.modality AS modality,
       r.n_sources AS n_sources,
       killed_in,
       r.doc_ids AS doc_ids,
       reduce(seen = [], sentence IN r.evidence |
              CASE WHEN sentence IN seen THEN seen ELSE seen + sentence END) AS evidence
ORDER BY coalesce(r.first_date, '9999'), leader, as
