// name: group_responsible_events
// answers: Events a group is held responsible for, directly or through its leaders and members, split by how it is known: asserted, reported, claimed (by the group) or alleged (by others).
// params: $group (string, default "Lashkar-e-Jhangvi") name or alias of the group, any case
// browser: :param group => 'Lashkar-e-Jhangvi'
MATCH (g:MilitantGroup)
WHERE toLower(g.name) = toLower($group)
   OR any(alias IN coalesce(g.aliases, []) WHERE toLower(alias) = toLower($group))
CALL (g) {
  MATCH (g)-[r:RESPONSIBLE_FOR]->(e:Event)
  RETURN e, r, g.name AS via
  UNION
  MATCH (g)<-[:MEMBER_OF|LEADER_OF|FOUNDER_OF]-(p:Person)-[r:RESPONSIBLE_FOR]->(e:Event)
  RETURN e, r, p.name AS via
}
OPTIONAL MATCH (e)-[:OCCURRED_IN]->(place:Location)
RETURN e.name AS event,
       r.modality AS modality,
       via,
       r.first_date AS date,
       collect(DISTINCT place.name) AS place,
       r.attributed_to AS attributed_to,
       r.n_sources AS n_sources,
       r.evidence AS evidence
ORDER BY CASE r.modality WHEN 'asserted' THEN 0 WHEN 'reported' THEN 1 WHEN 'claimed' THEN 2 ELSE 3 END,
         event, via
