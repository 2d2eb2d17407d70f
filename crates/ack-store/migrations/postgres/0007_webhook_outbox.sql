-- Deliveries became an outbox: a pending row per wanted event is written with the event, in the
-- change's transaction. The events a webhook had not reached yet under the cursor scheme become
-- its pending deliveries now, in the same order (a pattern is a type, or a prefix ending in *).
INSERT INTO webhook_deliveries (webhook_id, event_id, type, attempts, state, last_status, last_error, first_ms, next_attempt_ms)
SELECT w.webhook_id, e.event_id, e.type, 0, 'pending', 0, '', e.time_ms, e.time_ms
FROM webhooks w JOIN events e ON e.account = w.account AND e.event_id > w.cursor
WHERE EXISTS (SELECT 1 FROM json_array_elements_text(w.events::json) AS p(value)
              WHERE p.value = e.type OR (p.value LIKE '%*' AND e.type LIKE replace(p.value, '*', '%')))
ON CONFLICT (webhook_id, event_id) DO NOTHING;
