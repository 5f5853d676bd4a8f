// name: document_support
// answers: Everything one document supports: each relationship it backs, the sentences it contributes, and whether other documents back it too.
// params: $doc_id (string, default "ishaq-2015-07-29") document id (the article's file stem)
// browser: :param doc_id => 'ishaq-2015-07-29'
MATCH (s:Entity)-[r]->(o:Entity)
WHERE $doc_id IN r.doc_ids
RETURN s.name AS subject,
       type(r) AS relationship,
       o.name AS object,
       r.modality AS modality,
       r.n_sources AS n_sources,
       r.n_sources = 1 AS only_this_document,
       [i IN range(0, size(r.evidence) - 1) WHERE r.evidence_doc_ids[i] = $doc_id | r.evidence[i]] AS evidence
ORDER BY relationship, subject, object
