package quality

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/interpreter"

	"github.com/callscope/callscope/recording"
)

type roleRule struct {
	path string
	role string
	prg  cel.Program
}

func compileRoles(rc RoleConfig) ([]roleRule, error) {
	if len(rc.Rules) == 0 {
		return nil, nil
	}
	env, err := newRoleEnv()
	if err != nil {
		return nil, fmt.Errorf("quality: build role environment: %w", err)
	}
	out := make([]roleRule, 0, len(rc.Rules))
	for i, r := range rc.Rules {
		path := fmt.Sprintf("roles.rules[%d]", i)
		if r.Name != "" {
			path += " (" + r.Name + ")"
		}
		prg, err := compile(env, path+".when", r.When, cel.BoolType)
		if err != nil {
			return nil, err
		}
		out = append(out, roleRule{path: path + ".when", role: r.Role, prg: prg})
	}
	return out, nil
}

// roleActivation binds participant and participants.
type roleActivation struct {
	p  *ParticipantVars
	ps []ParticipantVars
}

func (a *roleActivation) ResolveName(name string) (any, bool) {
	switch name {
	case "participant":
		return a.p, true
	case "participants":
		return a.ps, true
	}
	return nil, false
}

func (a *roleActivation) Parent() interpreter.Activation { return nil }

// assignRoles returns the role of each of n channels; rule evaluation
// errors are appended to errs and the rule is treated as not matching.
func (e *Evaluator) assignRoles(n int, parts []ParticipantVars, errs *[]error) []string {
	roles := make([]string, n)
	act := &roleActivation{ps: parts}
	for c := 0; c < n; c++ {
		p := &parts[c]
		act.p = p
		role := ""
		for _, r := range e.roleRules {
			ok, err := evalBool(r.prg, r.path, act)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("channel %d: %w", c, err))
				continue
			}
			if ok {
				role = r.role
				break
			}
		}
		if role == "" {
			role = e.cfg.Roles.Kinds[p.Kind]
		}
		if role == "" {
			role = RoleUnknown
		}
		roles[c] = role
	}
	if e.cfg.Roles.InferAgent {
		agents, customers, unknown := 0, 0, -1
		nUnknown := 0
		for c, r := range roles {
			switch r {
			case RoleAgent:
				agents++
			case RoleCustomer:
				customers++
			case RoleUnknown:
				if parts[c].Mapped {
					nUnknown++
					unknown = c
				}
			}
		}
		if agents == 0 && customers > 0 && nUnknown == 1 {
			roles[unknown] = RoleAgent
		}
	}
	return roles
}

// participantVars returns one entry per channel 0..n-1 (unmapped channels
// have an empty ID, kind "unknown" and Mapped false).
func participantVars(n int, ps []Participant) []ParticipantVars {
	out := make([]ParticipantVars, n)
	for c := range out {
		out[c] = ParticipantVars{Channel: c, Kind: string(recording.KindUnknown)}
	}
	for _, p := range ps {
		if p.Channel < 0 || p.Channel >= n || p.ID == "" {
			continue
		}
		kind := p.Kind
		if kind == "" {
			kind = string(recording.KindOf(p.ID))
		}
		out[p.Channel] = ParticipantVars{Channel: p.Channel, ID: p.ID, Kind: kind, Mapped: true}
	}
	return out
}
