// name: successors_of_killed_leader
// answers: After a leader was killed, who led the same groups: acting or deputy leaders and leaders first reported on or after the killing.
// params: $leader (string, default "Malik Muhammad Ishaq") name or alias of the killed leader, any case
// browser: :param leader => 'Malik Muhammad Ishaq'
MATCH (l:Person)
WHERE toLower(l.name) = toLower($leader)
   OR any(alias IN coalesce(l.aliases, []) WHERE toLower(alias) = toLower($leader))
MATCH (l)-[k:KILLED_IN]->(death:Event)
MATCH (l)-[:LEADER_OF|FOUNDER_OF]->(g:MilitantGroup)
WITH DISTINCT l, k, death, g
MATCH (g)<-[r:LEADER_OF]-(s:Person)
WHERE s <> l
  AND (r.role =~ '(?i).*(acting|deputy|interim|successor).*'
       OR coalesce(r.last_date, '') >= coalesce(k.first_date, '9999'))
OPTIONAL MATCH (s)-[sk:KILLED_IN]->(later:Event)
RETURN l.name AS killed_leader,
       death.name AS killed_in,
       k.first_date AS killed_on,
       g.name AS group,
       s.name AS successor,
       CASE WHEN r.role =~ '(?i).*(acting|deputy|interim).*' THEN r.role ELSE 'later leader' END AS succession,
       r.first_date AS first_date,
       r.last_date AS last_date,
       r.modality AS modality,
       later.name AS successor_killed_in,
       r.evidence AS evidence
ORDER BY group, coalesce(r.first_date, '9999'), successor
