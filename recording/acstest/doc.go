// Package acstest is an in-process simulator of Azure Communication Services
// Call Automation recording, in the style of net/http/httptest: NewServer
// starts loopback HTTP listeners for the ACS resource endpoint (the recording
// REST API and the callback signing keys) and for ACS-managed storage (the
// content endpoint, on two hosts so downloads get redirected), and Close
// stops them.
//
// It enforces the contract callscope codes against (see the repository's
// docs and testdata/acs/spec): HMAC-SHA256 signatures and x-ms-date skew on
// every request (401 with a CommunicationErrorResponse otherwise), the
// api-version query, the StartCallRecordingRequest schema (400), unknown
// recordings (404), the Repeatability-Request-ID / Repeatability-First-Sent
// contract on start (a replay returns the first answer and never starts a
// second recording), 200/202 start with Repeatability-Result, 202 pause and
// resume, 204 stop. It sends RecordingStateChanged callbacks (including the
// inactive event with the .NET zero time that precedes active) signed with
// RS256 JWTs whose keys it publishes through its own OpenID discovery
// document, and on stop it renders the recording from audio the test
// supplied per participant over wall-clock time: an unmixed (or mixed) 16 kHz
// 16-bit WAV with paused spans cut out, the metadata document
// (participants[].channel, pauseResumeIntervals, chunks when configured),
// served from an HMAC-checking content endpoint (x-ms-host, one 302 to a
// second host, 206 ranges, 200 delete then 404 with an empty body) or
// written to a blob container in the bring-your-own-storage layout; then it
// delivers RecordingFileStatusUpdated (Event Grid schema or CloudEvents, a
// JSON array, one event or one per chunk) to a webhook, whose subscription
// handshake ValidateWebhook runs. EndCall hangs a call up (recordings stop,
// CallDisconnected); SendTone and SendCallback send other signed callbacks.
//
// Fault modes (Faults) inject 5xx bursts (JSON or HTML bodies, Retry-After),
// response delays, duplicated and reordered callbacks, callback delays and
// asynchronous start failures (StartRecordingFailed). Options.Spec validates
// every REST exchange against the OpenAPI document (SpecViolations).
//
// Simulator choices where ACS is not documented: a second start on a call
// with a recording in progress is 409; only WAV is rendered (mp3/mp4 starts
// are refused with 400 UnsupportedBySimulator); unmixed channels are
// assigned by channelAffinity, then audioChannelParticipantOrdering, then
// first audio, up to five, and the WAV has as many channels as were
// assigned; a stopped recording's state is 404.
package acstest
