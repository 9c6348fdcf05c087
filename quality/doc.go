// Package quality turns the metrics of one analyzed call into QA flags with
// severities, a 0–100 score, and a role for every channel: what
// contact-center QA teams review by exception, and what the nightly
// `report qa` job gates on.
//
// An Evaluator is built once from a Config (the "quality" section of the
// configuration file; DefaultConfig holds the defaults below) and applied
// to each recording with Evaluate, which is pure computation and safe for
// concurrent use. NewEvaluator validates every setting and compiles and
// type-checks every CEL expression, so a typo in a rule or custom flag
// fails at load with an error naming the rule and the line and column in
// the expression (*ExprError), never at 2 a.m. in the nightly job.
//
// # Roles
//
// Every channel gets a role: agent, customer, bot or unknown (Verdict.Roles,
// written to channels.role). For each channel, in order:
//
//  1. roles.rules: the first CEL rule whose when is true gives its role;
//  2. roles.kinds: the participant's identifier kind gives the role
//     (default phoneNumber → customer, microsoftTeamsUser and
//     teamsPhoneUser → agent, microsoftTeamsApp → bot, communicationUser
//     and unknown → unknown);
//  3. roles.infer_agent (default true): in a call with a customer and no
//     agent, the only mapped channel still unknown (if exactly one) becomes
//     the agent: the usual two-party call of an ACS user and a phone.
//
// Role rules see two variables: participant (the channel's participant) and
// participants (all channels, by channel), of type quality.ParticipantVars
// with fields channel (int), id (string, the raw id such as "4:+14255550123"
// or "8:acs:…"; "" when unmapped), kind (string, the identifier kind:
// phoneNumber, communicationUser, microsoftTeamsUser, microsoftTeamsApp,
// teamsPhoneUser, unknown) and mapped (bool). The CEL strings extension is
// available (id.startsWith, lowerAscii, …).
//
// # Built-in flags
//
// Every built-in flag has enabled, severity and its thresholds under
// flags.<name>. Comparisons tolerate 1e-9 of rounding. Per-channel flags
// raise one row per channel; the others one row per call.
//
//	flag                 raised when (defaults)                                                 severity  channel  start_s
//	dead_air             a mutual silence ≥ min_s (10 s); critical when ≥ critical_s (120 s)   warning   –        longest silence
//	non_talk_share       non_talk_s / duration_s > max_share (0.25)                             info      –        longest silence
//	overtalk             overlap_s / talk_s > max_share (0.10), or a channel's interruptions    warning   –/yes    longest overlap /
//	                     > max_interruptions[role] (agent: 2)                                                      the crossing one
//	agent_monologue      an agent's longest_monologue_s > max_s (90 s)                          warning   yes      estimated start
//	talk_ratio           agent talk / summed talk outside [min_share, max_share] (0.20, 0.65),   info      agent    –
//	                     with an agent, a non-agent and summed talk ≥ min_talk_s (10 s)
//	one_way_audio        talk_s ≤ max_talk_s (1 s) while the others talk ≥ min_other_talk_s      critical  yes      others' first speech
//	                     (10 s) and the level is at the floor: snr_db ≤ max_snr_db (10 dB) or
//	                     speech level ≤ silent_dbfs (−70 dBFS) or not finite
//	low_level            talk_s ≥ min_talk_s (2 s) and speech level < min_dbfs (−40 dBFS)       warning   yes      –
//	low_snr              talk_s ≥ min_talk_s (2 s) and snr_db < min_db (15 dB)                  warning   yes      –
//	clipping             clipped_ratio > max_ratio (0.001)                                      warning   yes      –
//	dtmf_captured        DTMF digits on a channel > max_count (0: any digit; PCI exposure)      critical  yes      first digit
//	recording_incomplete chunks missing or the last did not end with SessionEnded              warning   –        –
//	channel_unmapped     a channel with no participant in the metadata                          warning   yes      –
//	short_recording      duration_s < min_s (10 s)                                              info      –        –
//
// Anchors: Contact Lens counts non-talk from 3 s (dsp's non_talk_min), QA
// tools flag dead air at 10 s and hold at 120 s, Gong's talk-ratio
// benchmark is about 43 % with more than 65 % a warning sign, Microsoft's
// call-quality data flags low speech level, low SNR and clipping per device.
//
// A channel is one-way (Verdict.OneWay, channels.one_way) by the
// one_way_audio rule whether or not the flag is enabled. When the metadata
// maps at least one channel, unmapped channels are left to channel_unmapped
// and never counted as one-way.
//
// A channel whose dsp.Levels are all zero was not measured (hand-built or
// older results): low_level, low_snr and clipping skip it and one-way audio
// is decided on talk alone. dsp reports missing levels as −150 dBFS, never
// as zero.
//
// Flag.Detail never contains DTMF digits: dtmf_captured reports counts and
// times only.
//
// # Custom flags
//
// flags.custom lists flags written in CEL: when (bool, required), value
// (int or double, optional: the value column, 1 when absent), severity,
// threshold (copied to the threshold column), detail (fixed text),
// per_channel and disabled. Names are lower-case identifiers and must not
// repeat a built-in name. Variables:
//
//   - call (quality.CallVars): duration_s, paused_s, chunks, complete,
//     channels, talk_s, talk_sum_s, silence_s, non_talk_s, non_talk_share,
//     dead_air_count, dead_air_s, longest_silence_s, overlap_s,
//     overlap_share (overlap_s / talk_s), overlap_count, interruptions,
//     turns, dtmf_count, agent_talk_s, customer_talk_s, agent_share
//     (agent talk / summed talk);
//   - channels (list of quality.ChannelVars, by channel), and with
//     per_channel: true, channel (the channel evaluated); fields channel,
//     role, participant_id, participant_kind, mapped, talk_s, talk_share,
//     speech_share, segments, longest_monologue_s, interruptions_made,
//     interrupted, backchannels, speech_level_dbfs, activity_factor,
//     noise_floor_dbfs, snr_db, peak_dbfs, clipped_ratio, dc_offset,
//     dtmf_count, one_way;
//   - flags (list of string): the built-in flags raised, sorted.
//
// Times are seconds, levels dBFS, shares 0..1; ints are CEL int, the rest
// double (write 10.0, not 10, when comparing a double, or use double()).
// The strings and math extensions are available. An expression that fails
// at evaluation (an int division by zero) does not raise its flag and is
// reported in Verdict.Errors.
//
// # Score
//
//	score = max(0, 100 − Σ weight[severity(f)])  over the distinct flag names f raised,
//	        each at the highest severity it was raised with
//
// with default weights info 2, warning 10, critical 50 (score.weights). A
// clean call scores 100, one warning 90, a call with card digits in it 50
// at best, and two critical flags 0. A flag raised on several channels
// counts once.
package quality
