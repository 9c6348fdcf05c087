// Package recording holds the domain of an Azure Communication Services call
// recording: identifiers, the RecordingFileStatusUpdated event data, the
// per-chunk metadata document (channel ↔ participant mapping and paused
// spans), the on-disk recording folder that ingest writes and analyze reads,
// and the timeline that maps an audio offset to wall-clock time.
//
// It depends on the standard library only. Decoders here are tolerant of the
// quirks documented in the ACS contract (float chunkDuration, swapped
// contentType/channelType, unpadded base64 recording ids, missing fields) and
// strict about what would make a recording unusable.
package recording
