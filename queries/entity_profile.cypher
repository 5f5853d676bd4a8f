// name: entity_profile
// answers: Everything known about one entity: each relationship in either direction with the other end, modality, sources and evidence.
// params: $name (string, default "Malik Muhammad Ishaq") name or alias of the entity, any case
// browser: :param name => 'Malik Muhammad Ishaq'
MATCH (e:Entity)
WHERE toLower(e.name) = toLower($name)
   OR any(alias IN coalesce(e.aliases, []) WHERE toLower(alias) = toLower($name))
MATCH (e)-[r]-(other:Entity)
RETURN e.name AS entity,
       CASE WHEN startNode(r) = e THEN type(r) ELSE '<-' + type(r) END AS relationship,
       other.name AS other,
       other.type AS other_type,
       r.modality AS modality,
       coalesce(r.role, r.relation, r.link_kind) AS qualifier,
       r.n_sources AS n_sources,
       r.first_date AS first_date,
       r.evidence AS evidence
ORDER BY relationship, other
