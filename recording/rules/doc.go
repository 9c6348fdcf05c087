// Package rules holds callscope's recording-control business rules: a YAML
// file of CEL expressions evaluated on call events (Event Grid platform
// events such as CallStarted, and Call Automation callbacks such as
// ContinuousDtmfRecognitionToneReceived) that decide to start, pause, resume
// or stop a call's recording.
//
//	rules:
//	  - name: pci-pause
//	    on: Microsoft.Communication.ContinuousDtmfRecognitionToneReceived
//	    when: "event.tone == 'asterisk'"
//	    do: pause
//
// Every expression is parsed and type-checked when the file is loaded;
// errors name the file, the rule's line, the rule and CEL's column. The
// variables are event (the event's data fields plus type, id, subject and
// time), call (what is known of the call: correlationId, serverCallId,
// groupCallId, participants with rawId, kind and phone) and recording (the
// call's recording state). hash(string) is the deterministic sampling
// helper: FNV-1a 32-bit of the UTF-8 bytes, returned as a non-negative int,
// so "hash(call.correlationId) % 100 < 10" selects a stable 10 % of calls.
// See docs/rules.md for the format.
//
// Engine holds the current rule set and reloads it on SIGHUP or when the
// file changes; a file that fails to load leaves the previous rules in force
// and the reason is logged. Evaluation never blocks on a reload.
package rules
