// name: killed_in_events
// answers: Who was killed in which event, with the event's date and place, how it is known and the evidence.
// params: $event (string, default "") part of the event's name, any case; "" lists every event
// browser: :param event => ''
MATCH (p:Person)-[k:KILLED_IN]->(e:Event)
WHERE $event = '' OR toLower(e.name) CONTAINS toLower($event)
OPTIONAL MATCH (e)-[:OCCURRED_IN]->(place:Location)
WITH p, k, e, collect(DISTINCT place.name) AS places
RETURN p.name AS person,
       e.name AS event,
       k.first_date AS date,
       places AS place,
       k.modality AS modality,
       k.attributed_to AS attributed_to,
       k.n_sources AS n_sources,
       k.evidence AS evidence
ORDER BY date, event, person
