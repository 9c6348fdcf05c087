// Package callback receives Azure Communication Services Call Automation
// callbacks (the mid-call webhooks, RecordingStateChanged among them).
//
// NewHandler returns the http.Handler for POST /api/callbacks: it checks
// the callback's "Authorization: Bearer <JWT>" (RS256, issuer and signing
// keys from the OpenID discovery document, audience = the ACS resource's
// immutable resource id), bounds the body, decodes the JSON array of
// CloudEvents with Decode and hands the events to a Sink. It answers 200
// once the sink accepted them, 401 for a missing or invalid token, 400 for
// a body that can never be decoded, 413 for an oversized one and 503 when
// the sink failed (so the sender retries).
//
// Decode is tolerant of the shapes seen in captures: the RecordingStateChanged
// "inactive" event whose startDateTime is the .NET zero time (reported as
// the zero time.Time), DTMF tones flat (sequenceId, tone) or nested in
// toneInfo, specversion in either case, extra service fields (version,
// publicEventType, eventSource).
//
// Recording callbacks carry the recording bot's own callConnectionId, not the
// application's, so callers correlate them with Key: recordingId first, then
// serverCallId, then correlationId — never callConnectionId.
//
// DTMF tones are secret (card numbers): Event's LogValue leaves them out and
// the handler never logs them.
package callback
