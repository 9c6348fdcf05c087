// Package eventgrid receives Azure Event Grid deliveries: it decodes the
// Event Grid and CloudEvents 1.0 schemas (single event or batch), answers
// both subscription handshakes (the Event Grid validation event and the
// CloudEvents OPTIONS abuse-protection request), authenticates deliveries
// (a shared secret or a Microsoft Entra ID bearer token) and bounds what a
// sender can make it allocate.
//
// Handler is an http.Handler that answers 200 only after its Sink has
// durably accepted every event of a delivery; it answers 503 when the Sink
// cannot persist (Event Grid retries), 400/413 for input that can never
// succeed, and 401/403 for authentication failures (never retried).
package eventgrid
