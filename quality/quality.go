package quality

import (
	"fmt"
	"math"
	"sort"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/interpreter"

	"github.com/callscope/callscope/dsp"
)

// Participant is the participant mapped to a channel by the recording's
// metadata.
type Participant struct {
	Channel int
	ID      string // raw id ("4:+14255550123", "8:acs:…"); "" if unmapped
	Kind    string // recording.IdentifierKind; derived from ID when ""
}

// Input is what Evaluate needs to know about one recording.
type Input struct {
	// Result is the dsp analysis of the recording's audio (all chunks
	// concatenated). A nil Result is treated as an empty recording.
	Result *dsp.Result
	// Participants maps channels to participants (ParticipantsFromMetadata
	// builds it); channels absent here are unmapped.
	Participants []Participant
	// Chunks is the number of chunks analyzed.
	Chunks int
	// Complete is true when the chunks are contiguous from index 0 and the
	// last ended with SessionEnded (recording.IsComplete), or when the
	// recording is known to be whole by other means (a single WAV file).
	Complete bool
	// MissingChunks is the number of chunk indices missing below the
	// highest index seen (ChunkState computes it); 0 when none or unknown.
	MissingChunks int
	// PausedS is the wall-clock time the recording was paused (cut out of
	// the audio), from the metadata's pauseResumeIntervals.
	PausedS float64
}

// Flag is one raised flag: a row of the qa_flags table.
type Flag struct {
	Name     string
	Severity string  // info, warning or critical
	Channel  *int    // the channel it applies to; nil for the whole call
	Value    float64 // the measured value
	// Threshold is the bound the value crossed (for custom flags, the
	// configured threshold).
	Threshold float64
	StartS    *float64 // audio offset of the moment to review; nil if none
	Detail    string   // human-readable; never contains DTMF digits
}

// Verdict is the outcome of Evaluate for one recording.
type Verdict struct {
	// Score is 0..100; see the package documentation for the formula.
	Score float64
	// Flags are ordered by severity (highest first), then name, channel and
	// start.
	Flags []Flag
	// Roles and OneWay are indexed by channel (0..Result.Channels-1).
	Roles  []string
	OneWay []bool
	// Errors holds the evaluation errors of role rules and custom flags
	// (*ExprError, wrapped with the channel where one applies); a rule that
	// fails does not match and a flag that fails is not raised. Callers
	// should log them.
	Errors []error
}

// FlagNames returns the distinct names of v.Flags in order: the value of
// calls.qa_flags.
func (v *Verdict) FlagNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range v.Flags {
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f.Name)
		}
	}
	return out
}

// MaxSeverity returns the highest severity raised, or "" when no flag is.
func (v *Verdict) MaxSeverity() string {
	best := ""
	for _, f := range v.Flags {
		if SeverityRank(f.Severity) > SeverityRank(best) {
			best = f.Severity
		}
	}
	return best
}

// Evaluator turns analysis results into verdicts. It is safe for
// concurrent use.
type Evaluator struct {
	cfg       Config
	roleRules []roleRule
	custom    []customFlag
}

type customFlag struct {
	CustomFlag
	path  string
	when  cel.Program
	value cel.Program // nil when Value is empty
}

// NewEvaluator validates cfg and compiles and type-checks its CEL role
// rules and custom flags. Errors are *ConfigError or *ExprError and name the
// setting, rule or flag, and the line and column in the expression.
func NewEvaluator(cfg Config) (*Evaluator, error) {
	def := DefaultConfig()
	if cfg.Roles.Kinds == nil {
		cfg.Roles.Kinds = def.Roles.Kinds
	}
	if cfg.Score.Weights == nil {
		cfg.Score.Weights = def.Score.Weights
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Evaluator{cfg: cfg}
	var err error
	if e.roleRules, err = compileRoles(cfg.Roles); err != nil {
		return nil, err
	}
	if len(cfg.Flags.Custom) > 0 {
		envs := map[bool]*cel.Env{}
		for _, per := range []bool{false, true} {
			if envs[per], err = newFlagEnv(per); err != nil {
				return nil, fmt.Errorf("quality: build flag environment: %w", err)
			}
		}
		for i, cf := range cfg.Flags.Custom {
			path := fmt.Sprintf("flags.custom[%d] (%s)", i, cf.Name)
			c := customFlag{CustomFlag: cf, path: path}
			env := envs[cf.PerChannel]
			if c.when, err = compile(env, path+".when", cf.When, cel.BoolType); err != nil {
				return nil, err
			}
			if cf.Value != "" {
				if c.value, err = compile(env, path+".value", cf.Value, cel.DoubleType, cel.IntType); err != nil {
					return nil, err
				}
			}
			e.custom = append(e.custom, c)
		}
	}
	return e, nil
}

// Config returns the configuration in effect.
func (e *Evaluator) Config() Config { return e.cfg }

// state is the per-call working set of Evaluate.
type state struct {
	in       Input
	r        *dsp.Result
	n        int
	ch       []dsp.ChannelResult // indexed by channel, zero when absent
	parts    []ParticipantVars
	roles    []string
	oneWay   []bool
	mapped   bool // some channel is mapped by the metadata
	flags    []Flag
	errs     []error
	channels []ChannelVars
	call     CallVars
}

// Evaluate computes the roles, one-way channels, flags and score of one
// recording.
func (e *Evaluator) Evaluate(in Input) Verdict {
	s := &state{in: in, r: in.Result}
	if s.r == nil {
		s.r = &dsp.Result{}
	}
	s.n = s.r.Channels
	for _, c := range s.r.PerChannel {
		if c.Channel >= s.n {
			s.n = c.Channel + 1
		}
	}
	s.ch = make([]dsp.ChannelResult, s.n)
	for c := range s.ch {
		s.ch[c].Channel = c
	}
	for _, c := range s.r.PerChannel {
		if c.Channel >= 0 {
			s.ch[c.Channel] = c
		}
	}
	s.parts = participantVars(s.n, in.Participants)
	for _, p := range s.parts {
		s.mapped = s.mapped || p.Mapped
	}
	s.roles = e.assignRoles(s.n, s.parts, &s.errs)
	s.oneWay = make([]bool, s.n)

	e.builtin(s)
	if len(e.custom) > 0 {
		e.evalCustom(s)
	}
	sortFlags(s.flags)
	v := Verdict{Flags: s.flags, Roles: s.roles, OneWay: s.oneWay, Errors: s.errs}
	v.Score = e.score(s.flags)
	return v
}

// score is 100 minus the weight of the highest severity of each distinct
// flag name, floored at 0.
func (e *Evaluator) score(flags []Flag) float64 {
	worst := map[string]string{}
	for _, f := range flags {
		if SeverityRank(f.Severity) > SeverityRank(worst[f.Name]) {
			worst[f.Name] = f.Severity
		}
	}
	score := 100.0
	for _, sev := range worst {
		score -= e.cfg.Score.Weights[sev]
	}
	return math.Max(0, score)
}

func sortFlags(fs []Flag) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		ca, cb := -1, -1
		if a.Channel != nil {
			ca = *a.Channel
		}
		if b.Channel != nil {
			cb = *b.Channel
		}
		if ca != cb {
			return ca < cb
		}
		sa, sb := -1.0, -1.0
		if a.StartS != nil {
			sa = *a.StartS
		}
		if b.StartS != nil {
			sb = *b.StartS
		}
		return sa < sb
	})
}

// flagActivation binds call, channels, flags and channel.
type flagActivation struct {
	call     *CallVars
	channels []ChannelVars
	flags    []string
	channel  *ChannelVars
}

func (a *flagActivation) ResolveName(name string) (any, bool) {
	switch name {
	case "call":
		return a.call, true
	case "channels":
		return a.channels, true
	case "flags":
		return a.flags, true
	case "channel":
		if a.channel != nil {
			return a.channel, true
		}
	}
	return nil, false
}

func (a *flagActivation) Parent() interpreter.Activation { return nil }

func (e *Evaluator) evalCustom(s *state) {
	s.buildVars()
	builtin := make([]string, 0, len(s.flags))
	seen := map[string]bool{}
	for _, f := range s.flags {
		if !seen[f.Name] {
			seen[f.Name] = true
			builtin = append(builtin, f.Name)
		}
	}
	sort.Strings(builtin)
	act := &flagActivation{call: &s.call, channels: s.channels, flags: builtin}
	for i := range e.custom {
		cf := &e.custom[i]
		if cf.Disabled {
			continue
		}
		if !cf.PerChannel {
			act.channel = nil
			e.evalOne(s, cf, act, nil)
			continue
		}
		for c := range s.channels {
			act.channel = &s.channels[c]
			e.evalOne(s, cf, act, &c)
		}
	}
}

func (e *Evaluator) evalOne(s *state, cf *customFlag, act *flagActivation, ch *int) {
	wrap := func(err error) error {
		if ch != nil {
			return fmt.Errorf("channel %d: %w", *ch, err)
		}
		return err
	}
	ok, err := evalBool(cf.when, cf.path+".when", act)
	if err != nil {
		s.errs = append(s.errs, wrap(err))
		return
	}
	if !ok {
		return
	}
	val := 1.0
	if cf.value != nil {
		if val, err = evalNumber(cf.value, cf.path+".value", act); err != nil {
			s.errs = append(s.errs, wrap(err))
			return
		}
	}
	f := Flag{Name: cf.Name, Severity: cf.Severity, Value: val, Threshold: cf.Threshold, Detail: cf.Detail}
	if ch != nil {
		c := *ch
		f.Channel = &c
	}
	s.flags = append(s.flags, f)
}

// buildVars fills the CEL variables from the state (after roles and
// one-way are known).
func (s *state) buildVars() {
	m := s.r.Call
	s.call = CallVars{
		DurationS: m.DurationS, PausedS: s.in.PausedS, Chunks: s.in.Chunks, Complete: s.in.Complete,
		Channels: s.n, TalkS: m.TalkS, TalkSumS: m.TalkSumS, SilenceS: m.SilenceS, NonTalkS: m.NonTalkS,
		NonTalkShare: ratio(m.NonTalkS, m.DurationS), DeadAirCount: m.DeadAirCount, DeadAirS: m.DeadAirS,
		LongestSilenceS: m.LongestSilenceS, OverlapS: m.OverlapS, OverlapShare: ratio(m.OverlapS, m.TalkS),
		OverlapCount: m.OverlapCount, Interruptions: m.Interruptions, Turns: m.Turns, DTMFCount: m.DTMFCount,
	}
	s.channels = make([]ChannelVars, s.n)
	sum := 0.0
	for c, r := range s.ch {
		p := s.parts[c]
		s.channels[c] = ChannelVars{
			Channel: c, Role: s.roles[c], ParticipantID: p.ID, ParticipantKind: p.Kind, Mapped: p.Mapped,
			TalkS: r.TalkS, TalkShare: r.TalkShare, SpeechShare: r.SpeechShare, Segments: r.Segments,
			LongestMonologueS: r.LongestMonologueS, InterruptionsMade: r.InterruptionsMade,
			Interrupted: r.Interrupted, Backchannels: r.Backchannels,
			SpeechLevelDBFS: r.Levels.SpeechLevelDBFS, ActivityFactor: r.Levels.ActivityFactor,
			NoiseFloorDBFS: r.Levels.NoiseFloorDBFS, SNRDB: r.Levels.SNRDB, PeakDBFS: r.Levels.PeakDBFS,
			ClippedRatio: r.Levels.ClippedRatio, DCOffset: r.Levels.DCOffset, DTMFCount: r.DTMFCount,
			OneWay: s.oneWay[c],
		}
		sum += r.TalkS
		switch s.roles[c] {
		case RoleAgent:
			s.call.AgentTalkS += r.TalkS
		case RoleCustomer:
			s.call.CustomerTalkS += r.TalkS
		}
	}
	s.call.AgentShare = ratio(s.call.AgentTalkS, sum)
}

// ratio returns a/b, or 0 when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 || math.IsNaN(b) {
		return 0
	}
	return a / b
}
