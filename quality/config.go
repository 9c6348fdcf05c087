package quality

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/callscope/callscope/recording"
)

// Severities, in increasing order.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Severities lists the severities from lowest to highest.
var Severities = []string{SeverityInfo, SeverityWarning, SeverityCritical}

// SeverityRank orders severities: info 1, warning 2, critical 3, anything
// else 0.
func SeverityRank(s string) int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityCritical:
		return 3
	}
	return 0
}

// Roles.
const (
	RoleAgent    = "agent"
	RoleCustomer = "customer"
	RoleBot      = "bot"
	RoleUnknown  = "unknown"
)

// Built-in flag names (the values of qa_flags.flag).
const (
	FlagDeadAir             = "dead_air"
	FlagNonTalkShare        = "non_talk_share"
	FlagOvertalk            = "overtalk"
	FlagAgentMonologue      = "agent_monologue"
	FlagTalkRatio           = "talk_ratio"
	FlagOneWayAudio         = "one_way_audio"
	FlagLowLevel            = "low_level"
	FlagLowSNR              = "low_snr"
	FlagClipping            = "clipping"
	FlagDTMFCaptured        = "dtmf_captured"
	FlagRecordingIncomplete = "recording_incomplete"
	FlagChannelUnmapped     = "channel_unmapped"
	FlagShortRecording      = "short_recording"
)

// BuiltinFlags lists the built-in flag names in the order they are
// documented.
var BuiltinFlags = []string{
	FlagDeadAir, FlagNonTalkShare, FlagOvertalk, FlagAgentMonologue, FlagTalkRatio,
	FlagOneWayAudio, FlagLowLevel, FlagLowSNR, FlagClipping, FlagDTMFCaptured,
	FlagRecordingIncomplete, FlagChannelUnmapped, FlagShortRecording,
}

// Config is the "quality" section of the configuration file. Start from
// DefaultConfig and decode over it: keys absent from the file keep their
// defaults.
type Config struct {
	Roles RoleConfig  `yaml:"roles"`
	Flags FlagsConfig `yaml:"flags"`
	Score ScoreConfig `yaml:"score"`
}

// RoleConfig decides the role of each channel (agent, customer, bot,
// unknown). For every channel, Rules are tried in order and the first whose
// When is true gives the role; when none matches, Kinds maps the
// participant's identifier kind to a role; finally, with InferAgent, a call
// that has a customer but no agent makes its single unknown mapped channel
// the agent.
type RoleConfig struct {
	Rules []RoleRule `yaml:"rules"`
	// Kinds maps an identifier kind (recording.IdentifierKind) to a role.
	// Default: phoneNumber → customer, microsoftTeamsUser → agent,
	// teamsPhoneUser → agent, microsoftTeamsApp → bot, communicationUser →
	// unknown, unknown → unknown. Keys set in the file are merged over the
	// defaults.
	Kinds map[string]string `yaml:"kinds"`
	// InferAgent: default true.
	InferAgent bool `yaml:"infer_agent"`
}

// RoleRule is one CEL role rule: When is a boolean expression over
// participant and participants (see the package documentation).
type RoleRule struct {
	Name string `yaml:"name"`
	When string `yaml:"when"`
	Role string `yaml:"role"`
}

// Check holds what every built-in flag has: whether it is evaluated and
// the severity it is raised with.
type Check struct {
	Enabled  bool   `yaml:"enabled"`
	Severity string `yaml:"severity"`
}

// FlagsConfig configures the built-in flags and declares custom ones.
type FlagsConfig struct {
	DeadAir             DeadAirCheck      `yaml:"dead_air"`
	NonTalkShare        NonTalkShareCheck `yaml:"non_talk_share"`
	Overtalk            OvertalkCheck     `yaml:"overtalk"`
	AgentMonologue      MonologueCheck    `yaml:"agent_monologue"`
	TalkRatio           TalkRatioCheck    `yaml:"talk_ratio"`
	OneWayAudio         OneWayCheck       `yaml:"one_way_audio"`
	LowLevel            LowLevelCheck     `yaml:"low_level"`
	LowSNR              LowSNRCheck       `yaml:"low_snr"`
	Clipping            ClippingCheck     `yaml:"clipping"`
	DTMFCaptured        DTMFCheck         `yaml:"dtmf_captured"`
	RecordingIncomplete Check             `yaml:"recording_incomplete"`
	ChannelUnmapped     Check             `yaml:"channel_unmapped"`
	ShortRecording      ShortCheck        `yaml:"short_recording"`
	// Custom flags, evaluated after the built-in ones.
	Custom []CustomFlag `yaml:"custom"`
}

// DeadAirCheck raises dead_air for mutual silences of at least MinS
// seconds (default 10); CriticalS (default 120, the usual hold bound; 0
// disables) raises it as critical instead.
type DeadAirCheck struct {
	Check     `yaml:",inline"`
	MinS      float64 `yaml:"min_s"`
	CriticalS float64 `yaml:"critical_s"`
}

// NonTalkShareCheck raises non_talk_share when non-talk time (silences of
// at least the dsp non_talk_min, 3 s) exceeds MaxShare of the recorded
// duration (default 0.25).
type NonTalkShareCheck struct {
	Check    `yaml:",inline"`
	MaxShare float64 `yaml:"max_share"`
}

// OvertalkCheck raises overtalk when the overlap time exceeds MaxShare of
// the talk time (default 0.10), and for each channel whose interruptions
// exceed the bound MaxInterruptions gives its role (default agent: 2; a
// negative bound or an absent role is not checked).
type OvertalkCheck struct {
	Check            `yaml:",inline"`
	MaxShare         float64        `yaml:"max_share"`
	MaxInterruptions map[string]int `yaml:"max_interruptions"`
}

// MonologueCheck raises agent_monologue when an agent channel's longest
// monologue exceeds MaxS seconds (default 90).
type MonologueCheck struct {
	Check `yaml:",inline"`
	MaxS  float64 `yaml:"max_s"`
}

// TalkRatioCheck raises talk_ratio when the agents' share of the speech
// (agent talk / talk summed over channels) is below MinShare (default
// 0.20) or above MaxShare (default 0.65), in calls with an agent, a
// non-agent channel and at least MinTalkS seconds of summed talk (default
// 10).
type TalkRatioCheck struct {
	Check    `yaml:",inline"`
	MinShare float64 `yaml:"min_share"`
	MaxShare float64 `yaml:"max_share"`
	MinTalkS float64 `yaml:"min_talk_s"`
}

// OneWayCheck decides one-way audio: a channel that talks at most MaxTalkS
// seconds (default 1) while the other channels talk at least MinOtherTalkS
// seconds (default 10), and whose level is at the noise floor: SNR at most
// MaxSNRDB (default 10 dB), or an active speech level at most SilentDBFS
// (default −70 dBFS) or not finite (digital silence).
type OneWayCheck struct {
	Check         `yaml:",inline"`
	MaxTalkS      float64 `yaml:"max_talk_s"`
	MinOtherTalkS float64 `yaml:"min_other_talk_s"`
	MaxSNRDB      float64 `yaml:"max_snr_db"`
	SilentDBFS    float64 `yaml:"silent_dbfs"`
}

// LowLevelCheck raises low_level for a channel with at least MinTalkS
// seconds of speech (default 2) whose active speech level is below MinDBFS
// (default −40 dBFS).
type LowLevelCheck struct {
	Check    `yaml:",inline"`
	MinDBFS  float64 `yaml:"min_dbfs"`
	MinTalkS float64 `yaml:"min_talk_s"`
}

// LowSNRCheck raises low_snr for a channel with at least MinTalkS seconds
// of speech (default 2) whose SNR is below MinDB (default 15 dB).
type LowSNRCheck struct {
	Check    `yaml:",inline"`
	MinDB    float64 `yaml:"min_db"`
	MinTalkS float64 `yaml:"min_talk_s"`
}

// ClippingCheck raises clipping for a channel whose share of clipped
// samples exceeds MaxRatio (default 0.001).
type ClippingCheck struct {
	Check    `yaml:",inline"`
	MaxRatio float64 `yaml:"max_ratio"`
}

// DTMFCheck raises dtmf_captured for a channel with more than MaxCount
// DTMF digits in the recording (default 0: any digit).
type DTMFCheck struct {
	Check    `yaml:",inline"`
	MaxCount int `yaml:"max_count"`
}

// ShortCheck raises short_recording when the recorded duration is below
// MinS seconds (default 10).
type ShortCheck struct {
	Check `yaml:",inline"`
	MinS  float64 `yaml:"min_s"`
}

// CustomFlag is a flag defined by CEL expressions (see the package
// documentation for the variables). When must be a boolean expression;
// Value, optional, a numeric one whose result goes to the value column (1
// when absent). With PerChannel the flag is evaluated once per channel,
// with the variable channel bound, and raised on that channel.
type CustomFlag struct {
	Name       string  `yaml:"name"`
	When       string  `yaml:"when"`
	Value      string  `yaml:"value"`
	Severity   string  `yaml:"severity"`
	PerChannel bool    `yaml:"per_channel"`
	Threshold  float64 `yaml:"threshold"`
	Detail     string  `yaml:"detail"`
	Disabled   bool    `yaml:"disabled"`
}

// ScoreConfig sets the score formula: 100 minus the weight of the highest
// severity of each distinct raised flag, floored at 0. Default weights:
// info 2, warning 10, critical 50. Keys set in the file are merged over
// the defaults.
type ScoreConfig struct {
	Weights map[string]float64 `yaml:"weights"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	on := func(sev string) Check { return Check{Enabled: true, Severity: sev} }
	return Config{
		Roles: RoleConfig{
			Kinds: map[string]string{
				"phoneNumber":        RoleCustomer,
				"microsoftTeamsUser": RoleAgent,
				"teamsPhoneUser":     RoleAgent,
				"microsoftTeamsApp":  RoleBot,
				"communicationUser":  RoleUnknown,
				"unknown":            RoleUnknown,
			},
			InferAgent: true,
		},
		Flags: FlagsConfig{
			DeadAir:        DeadAirCheck{Check: on(SeverityWarning), MinS: 10, CriticalS: 120},
			NonTalkShare:   NonTalkShareCheck{Check: on(SeverityInfo), MaxShare: 0.25},
			Overtalk:       OvertalkCheck{Check: on(SeverityWarning), MaxShare: 0.10, MaxInterruptions: map[string]int{RoleAgent: 2}},
			AgentMonologue: MonologueCheck{Check: on(SeverityWarning), MaxS: 90},
			TalkRatio:      TalkRatioCheck{Check: on(SeverityInfo), MinShare: 0.20, MaxShare: 0.65, MinTalkS: 10},
			OneWayAudio:    OneWayCheck{Check: on(SeverityCritical), MaxTalkS: 1, MinOtherTalkS: 10, MaxSNRDB: 10, SilentDBFS: -70},
			LowLevel:       LowLevelCheck{Check: on(SeverityWarning), MinDBFS: -40, MinTalkS: 2},
			LowSNR:         LowSNRCheck{Check: on(SeverityWarning), MinDB: 15, MinTalkS: 2},
			Clipping:       ClippingCheck{Check: on(SeverityWarning), MaxRatio: 0.001},
			DTMFCaptured:   DTMFCheck{Check: on(SeverityCritical), MaxCount: 0},

			RecordingIncomplete: on(SeverityWarning),
			ChannelUnmapped:     on(SeverityWarning),
			ShortRecording:      ShortCheck{Check: on(SeverityInfo), MinS: 10},
		},
		Score: ScoreConfig{Weights: map[string]float64{
			SeverityInfo: 2, SeverityWarning: 10, SeverityCritical: 50,
		}},
	}
}

// ConfigError reports an invalid setting; Path is its place in the
// quality section, e.g. "flags.dead_air.severity".
type ConfigError struct {
	Path string
	Err  error
}

func (e *ConfigError) Error() string { return "quality: " + e.Path + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func cfgErr(path, format string, args ...any) error {
	return &ConfigError{Path: path, Err: fmt.Errorf(format, args...)}
}

func validSeverity(path, s string) error {
	if SeverityRank(s) == 0 {
		return cfgErr(path, "unknown severity %q (want info, warning or critical)", s)
	}
	return nil
}

func validRole(path, r string) error {
	switch r {
	case RoleAgent, RoleCustomer, RoleBot, RoleUnknown:
		return nil
	}
	return cfgErr(path, "unknown role %q (want agent, customer, bot or unknown)", r)
}

func finite(path string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return cfgErr(path, "must be a finite number, got %v", v)
	}
	return nil
}

// validate checks everything but the CEL expressions.
func (c *Config) validate() error {
	for _, k := range sortedKeys(c.Roles.Kinds) {
		switch recording.IdentifierKind(k) {
		case recording.KindCommunicationUser, recording.KindPhoneNumber, recording.KindMicrosoftTeamsUser,
			recording.KindMicrosoftTeamsApp, recording.KindTeamsPhoneUser, recording.KindUnknown:
		default:
			return cfgErr("roles.kinds."+k, "unknown identifier kind %q (want communicationUser, phoneNumber, microsoftTeamsUser, microsoftTeamsApp, teamsPhoneUser or unknown)", k)
		}
		if err := validRole("roles.kinds."+k, c.Roles.Kinds[k]); err != nil {
			return err
		}
	}
	for i, r := range c.Roles.Rules {
		p := fmt.Sprintf("roles.rules[%d]", i)
		if r.Name != "" {
			p += " (" + r.Name + ")"
		}
		if err := validRole(p+".role", r.Role); err != nil {
			return err
		}
		if strings.TrimSpace(r.When) == "" {
			return cfgErr(p+".when", "missing expression")
		}
	}
	f := &c.Flags
	type num struct {
		path string
		v    float64
		min  float64 // inclusive lower bound
	}
	checks := []struct {
		name string
		c    Check
		nums []num
	}{
		{FlagDeadAir, f.DeadAir.Check, []num{{"min_s", f.DeadAir.MinS, 0}, {"critical_s", f.DeadAir.CriticalS, 0}}},
		{FlagNonTalkShare, f.NonTalkShare.Check, []num{{"max_share", f.NonTalkShare.MaxShare, 0}}},
		{FlagOvertalk, f.Overtalk.Check, []num{{"max_share", f.Overtalk.MaxShare, 0}}},
		{FlagAgentMonologue, f.AgentMonologue.Check, []num{{"max_s", f.AgentMonologue.MaxS, 0}}},
		{FlagTalkRatio, f.TalkRatio.Check, []num{{"min_share", f.TalkRatio.MinShare, 0}, {"max_share", f.TalkRatio.MaxShare, 0}, {"min_talk_s", f.TalkRatio.MinTalkS, 0}}},
		{FlagOneWayAudio, f.OneWayAudio.Check, []num{{"max_talk_s", f.OneWayAudio.MaxTalkS, 0}, {"min_other_talk_s", f.OneWayAudio.MinOtherTalkS, 0}, {"max_snr_db", f.OneWayAudio.MaxSNRDB, math.Inf(-1)}, {"silent_dbfs", f.OneWayAudio.SilentDBFS, math.Inf(-1)}}},
		{FlagLowLevel, f.LowLevel.Check, []num{{"min_dbfs", f.LowLevel.MinDBFS, math.Inf(-1)}, {"min_talk_s", f.LowLevel.MinTalkS, 0}}},
		{FlagLowSNR, f.LowSNR.Check, []num{{"min_db", f.LowSNR.MinDB, math.Inf(-1)}, {"min_talk_s", f.LowSNR.MinTalkS, 0}}},
		{FlagClipping, f.Clipping.Check, []num{{"max_ratio", f.Clipping.MaxRatio, 0}}},
		{FlagDTMFCaptured, f.DTMFCaptured.Check, []num{{"max_count", float64(f.DTMFCaptured.MaxCount), 0}}},
		{FlagRecordingIncomplete, f.RecordingIncomplete, nil},
		{FlagChannelUnmapped, f.ChannelUnmapped, nil},
		{FlagShortRecording, f.ShortRecording.Check, []num{{"min_s", f.ShortRecording.MinS, 0}}},
	}
	for _, ch := range checks {
		p := "flags." + ch.name
		if err := validSeverity(p+".severity", ch.c.Severity); err != nil {
			return err
		}
		for _, n := range ch.nums {
			if err := finite(p+"."+n.path, n.v); err != nil {
				return err
			}
			if n.v < n.min {
				return cfgErr(p+"."+n.path, "must be ≥ %v, got %v", n.min, n.v)
			}
		}
	}
	if f.TalkRatio.MinShare > f.TalkRatio.MaxShare {
		return cfgErr("flags.talk_ratio", "min_share %v above max_share %v", f.TalkRatio.MinShare, f.TalkRatio.MaxShare)
	}
	for _, k := range sortedKeys(f.Overtalk.MaxInterruptions) {
		if err := validRole("flags.overtalk.max_interruptions."+k, k); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, b := range BuiltinFlags {
		seen[b] = true
	}
	for i, cf := range f.Custom {
		p := fmt.Sprintf("flags.custom[%d]", i)
		if !validName(cf.Name) {
			return cfgErr(p+".name", "flag name %q must be 1-64 characters of a-z, 0-9 and _, starting with a letter", cf.Name)
		}
		p += " (" + cf.Name + ")"
		if seen[cf.Name] {
			return cfgErr(p+".name", "duplicate flag name %q", cf.Name)
		}
		seen[cf.Name] = true
		if err := validSeverity(p+".severity", cf.Severity); err != nil {
			return err
		}
		if strings.TrimSpace(cf.When) == "" {
			return cfgErr(p+".when", "missing expression")
		}
		if err := finite(p+".threshold", cf.Threshold); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(c.Score.Weights) {
		p := "score.weights." + k
		if err := validSeverity(p, k); err != nil {
			return err
		}
		w := c.Score.Weights[k]
		if err := finite(p, w); err != nil {
			return err
		}
		if w < 0 || w > 100 {
			return cfgErr(p, "weight must be within 0..100, got %v", w)
		}
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
