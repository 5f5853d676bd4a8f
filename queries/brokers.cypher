// name: brokers
// answers: People who belong to (member, leader or founder of) two or more groups: potential brokers between groups.
// params: $min_groups (int, default 2) least number of distinct groups
// browser: :param min_groups => 2
MATCH (p:Person)-[r:MEMBER_OF|LEADER_OF|FOUNDER_OF]->(g:MilitantGroup)
WITH p, g, collect(r) AS rels
WITH p, collect({group: g.name, as: [r IN rels | toLower(replace(type(r), '_OF', ''))],
                 modality: [r IN rels | r.modality]}) AS groups
WHERE size(groups) >= $min_groups
RETURN p.name AS person,
       size(groups) AS n_groups,
       [x IN groups | x.group] AS groups,
       [x IN groups | x.group + ': ' + reduce(s = '', a IN x.as | s + CASE WHEN s = '' THEN '' ELSE ', ' END + a)
                      + ' (' + x.modality[0] + ')'] AS memberships
ORDER BY n_groups DESC, person
