// Package ingest is the service behind cmd/ingest: it persists Event Grid
// deliveries into the spool (recording/spool), runs workers that turn each
// RecordingFileStatusUpdated event into a recording folder (every chunk's
// audio and metadata, the events, a manifest with sizes and SHA-256), and
// exposes the webhook, Prometheus metrics and health endpoints. It also
// consumes Event Grid events from an Azure Storage Queue for scale-out.
//
// Nothing is lost: an event is acknowledged (HTTP 200, or a queue message
// deleted) only after it is durable — in the spool, or as a finished
// recording folder.
package ingest
