// name: single_source_alleged
// answers: Relationships resting on a single source whose strongest wording is only "alleged": the weakest claims in the graph, to check before relying on them.
// params: $limit (int, default 100) most rows to return
// browser: :param limit => 100
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.modality = 'alleged' AND r.n_sources = 1
RETURN s.name AS subject,
       type(r) AS relationship,
       o.name AS object,
       r.doc_ids[0] AS document,
       r.attributed_to AS attributed_to,
       r.confidence AS confidence,
       r.evidence AS evidence
ORDER BY document, relationship, subject
LIMIT $limit
