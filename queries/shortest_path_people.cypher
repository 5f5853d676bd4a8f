// name: shortest_path_people
// answers: How two people are connected: the shortest chain of relationships between them (documents excluded), one row per hop with its modality, sources and evidence.
// params: $person_a (string, default "Muhammad Usman") name or alias of the first person, any case
// params: $person_b (string, default "Ghulam Rasool Shah") name or alias of the second person, any case
// browser: :param person_a => 'Muhammad Usman'; :param person_b => 'Ghulam Rasool Shah'
MATCH (a:Person)
WHERE toLower(a.name) = toLower($person_a)
   OR any(alias IN coalesce(a.aliases, []) WHERE toLower(alias) = toLower($person_a))
MATCH (b:Person)
WHERE toLower(b.name) = toLower($person_b)
   OR any(alias IN coalesce(b.aliases, []) WHERE toLower(alias) = toLower($person_b))
MATCH path = shortestPath((a)-[*..10]-(b))
WHERE a <> b AND all(n IN nodes(path) WHERE n:Entity)
WITH path LIMIT 1
UNWIND range(0, length(path) - 1) AS hop
WITH hop, nodes(path)[hop] AS here, relationships(path)[hop] AS r, nodes(path)[hop + 1] AS there
RETURN hop + 1 AS hop,
       here.name AS from,
       type(r) AS relationship,
       there.name AS to,
       startNode(r) = here AS forward,
       r.modality AS modality,
       r.doc_ids AS doc_ids,
       r.evidence AS evidence
ORDER BY hop
