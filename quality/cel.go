package quality

import (
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// CallVars is the CEL variable call: call-level metrics. Field names in
// CEL are the cel tags.
type CallVars struct {
	DurationS       float64 `cel:"duration_s"` // recorded audio, pauses excluded
	PausedS         float64 `cel:"paused_s"`
	Chunks          int     `cel:"chunks"`
	Complete        bool    `cel:"complete"`
	Channels        int     `cel:"channels"`
	TalkS           float64 `cel:"talk_s"`
	TalkSumS        float64 `cel:"talk_sum_s"`
	SilenceS        float64 `cel:"silence_s"`
	NonTalkS        float64 `cel:"non_talk_s"`
	NonTalkShare    float64 `cel:"non_talk_share"`
	DeadAirCount    int     `cel:"dead_air_count"`
	DeadAirS        float64 `cel:"dead_air_s"`
	LongestSilenceS float64 `cel:"longest_silence_s"`
	OverlapS        float64 `cel:"overlap_s"`
	OverlapShare    float64 `cel:"overlap_share"`
	OverlapCount    int     `cel:"overlap_count"`
	Interruptions   int     `cel:"interruptions"`
	Turns           int     `cel:"turns"`
	DTMFCount       int     `cel:"dtmf_count"`
	AgentTalkS      float64 `cel:"agent_talk_s"`
	CustomerTalkS   float64 `cel:"customer_talk_s"`
	AgentShare      float64 `cel:"agent_share"`
}

// ChannelVars is the CEL type of channel and of the elements of channels.
type ChannelVars struct {
	Channel           int     `cel:"channel"`
	Role              string  `cel:"role"`
	ParticipantID     string  `cel:"participant_id"`
	ParticipantKind   string  `cel:"participant_kind"`
	Mapped            bool    `cel:"mapped"`
	TalkS             float64 `cel:"talk_s"`
	TalkShare         float64 `cel:"talk_share"`
	SpeechShare       float64 `cel:"speech_share"`
	Segments          int     `cel:"segments"`
	LongestMonologueS float64 `cel:"longest_monologue_s"`
	InterruptionsMade int     `cel:"interruptions_made"`
	Interrupted       int     `cel:"interrupted"`
	Backchannels      int     `cel:"backchannels"`
	SpeechLevelDBFS   float64 `cel:"speech_level_dbfs"`
	ActivityFactor    float64 `cel:"activity_factor"`
	NoiseFloorDBFS    float64 `cel:"noise_floor_dbfs"`
	SNRDB             float64 `cel:"snr_db"`
	PeakDBFS          float64 `cel:"peak_dbfs"`
	ClippedRatio      float64 `cel:"clipped_ratio"`
	DCOffset          float64 `cel:"dc_offset"`
	DTMFCount         int     `cel:"dtmf_count"`
	OneWay            bool    `cel:"one_way"`
}

// ParticipantVars is the CEL type of participant and of the elements of
// participants in role rules.
type ParticipantVars struct {
	Channel int    `cel:"channel"`
	ID      string `cel:"id"`   // raw id, "" when the channel is unmapped
	Kind    string `cel:"kind"` // recording.IdentifierKind
	Mapped  bool   `cel:"mapped"`
}

// ExprError reports a CEL expression that does not compile, does not
// type-check, has the wrong result type, or fails at evaluation. Line and
// Column (1-based) locate the problem in the expression; they are 0 when
// the error concerns the whole expression.
type ExprError struct {
	Path   string // "roles.rules[0] (acs-agents).when", "flags.custom[1] (long_hold).value"
	Line   int
	Column int
	Msg    string
	Err    error // underlying error, if any
}

func (e *ExprError) Error() string {
	var b strings.Builder
	b.WriteString("quality: ")
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *ExprError) Unwrap() error { return e.Err }

var (
	callType        = reflect.TypeFor[CallVars]()
	channelType     = reflect.TypeFor[ChannelVars]()
	participantType = reflect.TypeFor[ParticipantVars]()
)

// CEL type names of the variables.
const (
	celCall        = "quality.CallVars"
	celChannel     = "quality.ChannelVars"
	celParticipant = "quality.ParticipantVars"
)

func nativeTypes() cel.EnvOption {
	return ext.NativeTypes(callType, channelType, participantType, ext.ParseStructTags(true))
}

// newRoleEnv declares participant and participants.
func newRoleEnv() (*cel.Env, error) {
	return cel.NewEnv(
		nativeTypes(),
		ext.Strings(),
		cel.Variable("participant", cel.ObjectType(celParticipant)),
		cel.Variable("participants", cel.ListType(cel.ObjectType(celParticipant))),
	)
}

// newFlagEnv declares call, channels and flags, and channel when
// perChannel.
func newFlagEnv(perChannel bool) (*cel.Env, error) {
	opts := []cel.EnvOption{
		nativeTypes(),
		ext.Strings(),
		ext.Math(),
		cel.Variable("call", cel.ObjectType(celCall)),
		cel.Variable("channels", cel.ListType(cel.ObjectType(celChannel))),
		cel.Variable("flags", cel.ListType(cel.StringType)),
	}
	if perChannel {
		opts = append(opts, cel.Variable("channel", cel.ObjectType(celChannel)))
	}
	return cel.NewEnv(opts...)
}

// celCostLimit bounds the work one expression may do per evaluation.
const celCostLimit = 1_000_000

// compile compiles and type-checks src; want lists acceptable result types.
func compile(env *cel.Env, path, src string, want ...*cel.Type) (cel.Program, error) {
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		if len(errs) > 0 {
			e := errs[0]
			return nil, &ExprError{Path: path, Line: e.Location.Line(), Column: e.Location.Column() + 1, Msg: e.Message, Err: iss.Err()}
		}
		return nil, &ExprError{Path: path, Msg: iss.Err().Error(), Err: iss.Err()}
	}
	out := ast.OutputType()
	ok := false
	for _, w := range want {
		if out.IsExactType(w) {
			ok = true
		}
	}
	if !ok {
		names := make([]string, len(want))
		for i, w := range want {
			names[i] = w.String()
		}
		return nil, &ExprError{Path: path, Msg: fmt.Sprintf("expression has type %s, want %s", out, strings.Join(names, " or "))}
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, &ExprError{Path: path, Msg: err.Error(), Err: err}
	}
	return prg, nil
}

// evalBool runs a boolean program.
func evalBool(prg cel.Program, path string, act any) (bool, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return false, &ExprError{Path: path, Msg: "evaluate: " + err.Error(), Err: err}
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, &ExprError{Path: path, Msg: fmt.Sprintf("evaluate: result %v is not a bool", v)}
	}
	return b, nil
}

// evalNumber runs a numeric program.
func evalNumber(prg cel.Program, path string, act any) (float64, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return 0, &ExprError{Path: path, Msg: "evaluate: " + err.Error(), Err: err}
	}
	switch x := v.Value().(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	}
	return 0, &ExprError{Path: path, Msg: fmt.Sprintf("evaluate: result %v is not a number", v)}
}
