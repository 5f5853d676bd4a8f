// name: top_entities_by_centrality
// answers: The most central entities by a chosen score written back by `milgraph analyze`/`rebuild` (degree, betweenness, closeness, eigenvector, pagerank, brokerage...), optionally of one type.
// params: $metric (string, default "pagerank") entity property holding the score
// params: $type (string, default "") entity type (Person, MilitantGroup, Organization, Event, Location); "" for all
// params: $limit (int, default 10) most rows to return
// browser: :param metric => 'pagerank'; :param type => ''; :param limit => 10
MATCH (e:Entity)
WHERE e[$metric] IS NOT NULL AND ($type = '' OR e.type = $type)
RETURN e.name AS name,
       e.type AS type,
       e[$metric] AS score,
       e.community AS community
ORDER BY score DESC, name
LIMIT $limit
