// name: linked_groups
// answers: Which groups are linked to a group within N hops of LINKED_TO, by the shortest chain, with the link kinds (ally, affiliate, splinter, rival, ties...) and modality of each hop.
// params: $group (string, default "Lashkar-e-Jhangvi") name or alias of the group, any case
// params: $hops (int, default 2) largest number of LINKED_TO hops, 1 to 6
// browser: :param group => 'Lashkar-e-Jhangvi'; :param hops => 2
MATCH (g:MilitantGroup)
WHERE toLower(g.name) = toLower($group)
   OR any(alias IN coalesce(g.aliases, []) WHERE toLower(alias) = toLower($group))
MATCH path = (g)-[:LINKED_TO*1..6]-(other:MilitantGroup)
WHERE other <> g AND length(path) <= $hops
WITH g, other, path ORDER BY length(path)
WITH g, other, collect(path)[0] AS path
RETURN other.name AS group,
       length(path) AS hops,
       [n IN nodes(path) | n.name] AS chain,
       [r IN relationships(path) | coalesce(r.link_kind, 'linked')] AS link_kinds,
       [r IN relationships(path) | r.modality] AS modalities,
       [r IN relationships(path) | r.evidence[0]] AS evidence
ORDER BY hops, group
