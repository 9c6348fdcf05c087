// Package control runs the per-call recording state machine that turns
// rule decisions and Call Automation callbacks into recording REST calls:
//
//	idle ──start──► starting ──(200/202, RecordingStateChanged active)──► active ⇄ paused
//	                                                                        │
//	                                           stop (or the call ends) ──► stopped
//
// Guarantees:
//   - a start is persisted (with its Repeatability-Request-ID and
//     Repeatability-First-Sent) before it is sent, and Recover re-sends an
//     unfinished start with the same headers after a crash, so a call is
//     never recorded twice;
//   - duplicate events (same event id) are ignored; actions that do not fit
//     the state (start when not idle, pause when not active, …) are skipped
//     and logged, never sent;
//   - a recording paused by one rule is resumed only by a rule whose
//     with.resumes names that rule (or "operator", "external", "*");
//   - out-of-order RecordingStateChanged callbacks older than the last
//     transition are ignored; the "inactive" event with the zero start time
//     that precedes "active" is not a pause;
//   - once the call ended (CallEnded, CallDisconnected) or the recording
//     stopped, no action is sent;
//   - at start-up Recover also asks the service for the state of every
//     active or paused recording and follows it (callbacks missed while
//     down: a recording the service no longer has is stopped).
//
// Callbacks are correlated by recordingId, then serverCallId, then
// correlationId — never by callConnectionId. Every action (its rule and
// outcome) and every state change is written to an EventSink (the
// recording_events table). Call state is kept in one JSON file per call
// under the state directory, written atomically (temp file, fsync, rename).
package control
