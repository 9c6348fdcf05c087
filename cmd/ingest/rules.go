package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/control"
	"github.com/callscope/callscope/recording/rules"
)

func newRulesCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check recording-control rules and dry-run them on events",
		Long:  "Rules are a YAML file of CEL expressions; see docs/rules.md.",
	}
	cmd.AddCommand(newRulesCheckCmd(g), newRulesTestCmd(g))
	return cmd
}

func newRulesCheckCmd(g *cli.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Compile and type-check a rules file; errors name the rule, its line and the CEL column",
		Args:  cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := rules.Load(args[0])
			if err != nil {
				var re *rules.Error
				if errors.As(err, &re) || strings.Contains(err.Error(), ":") {
					fmt.Fprintln(g.Stdout, err)
				}
				return &cli.FailedError{Failed: countErrors(err), What: "rule errors in " + args[0]}
			}
			for _, r := range set.Rules {
				fmt.Fprintf(g.Stdout, "%s: %s on %s -> %s\n", r.Pos(), r.Name, strings.Join(r.On, ","), r.Do)
			}
			fmt.Fprintf(g.Stdout, "%s: %d rules OK\n", args[0], len(set.Rules))
			return nil
		},
	}
}

func countErrors(err error) int {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return len(j.Unwrap())
	}
	return 1
}

// dryRecorder answers every recording request with success without
// contacting ACS: the dry run shows what the state machine would send.
type dryRecorder struct{ n atomic.Int64 }

func (d *dryRecorder) StartRecording(_ context.Context, req acs.StartRequest, _ acs.StartOptions) (*acs.StartResult, error) {
	return &acs.StartResult{RecordingState: acs.RecordingState{RecordingID: fmt.Sprintf("dry-run-%d", d.n.Add(1)), RecordingState: acs.StateInactive}, StatusCode: 200}, nil
}
func (d *dryRecorder) PauseRecording(context.Context, string) (acs.ResponseInfo, error) {
	return acs.ResponseInfo{}, nil
}
func (d *dryRecorder) ResumeRecording(context.Context, string) (acs.ResponseInfo, error) {
	return acs.ResponseInfo{}, nil
}
func (d *dryRecorder) StopRecording(context.Context, string) (acs.ResponseInfo, error) {
	return acs.ResponseInfo{}, nil
}
func (d *dryRecorder) GetRecording(_ context.Context, id string) (*acs.RecordingState, error) {
	return &acs.RecordingState{RecordingID: id}, nil
}

func newRulesTestCmd(g *cli.Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test FILE EVENTS...",
		Short: "Dry run: feed events (Event Grid or CloudEvents JSON arrays) through the rules and the state machine",
		Long: `Each EVENTS file holds a JSON array (or one object) of Event Grid events or
Call Automation callbacks. They are processed in order, with the per-call
state machine, and nothing is sent to ACS. For every event the command
prints the rules that fired and what the controller would do:
ok (would be sent), skipped (and why), and the state changes.`,
		Args: cli.Args(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := rules.Load(args[0])
			if err != nil {
				fmt.Fprintln(g.Stdout, err)
				return &cli.FailedError{Failed: countErrors(err), What: "rule errors in " + args[0]}
			}
			dir, err := os.MkdirTemp("", "callscope-rules-test-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			sink := &control.MemorySink{}
			ctl, err := control.Open(filepath.Join(dir, "control"), &dryRecorder{}, set, sink, control.Options{Logger: g.Logger})
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			seen := map[string]bool{}
			for _, file := range args[1:] {
				b, err := readLimited(file, 64<<20)
				if err != nil {
					return err
				}
				evs, err := rules.DecodeEvents(b)
				if err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
				for i, ev := range evs {
					before := len(sink.Events())
					in := control.Input{Type: ev.Type, ID: ev.ID, Time: ev.Time, Data: ev.Data}
					in.ServerCallID, _ = ev.Data["serverCallId"].(string)
					in.CorrelationID, _ = ev.Data["correlationId"].(string)
					in.RecordingID, _ = ev.Data["recordingId"].(string)
					in.GroupCallID, _ = ev.Call["groupCallId"].(string)
					in.State, _ = ev.Data["state"].(string)
					if ps, ok := ev.Call["participants"].([]any); ok {
						for _, p := range ps {
							if m, ok := p.(map[string]any); ok {
								raw, _ := m["rawId"].(string)
								in.Participants = append(in.Participants, raw)
							}
						}
					}
					if err := ctl.Handle(ctx, in); err != nil {
						return err
					}
					fmt.Fprintf(g.Stdout, "%s[%d] %s %s\n", file, i, strings.TrimPrefix(ev.Type, "Microsoft.Communication."), ev.ID)
					rows := sink.Events()[before:]
					switch {
					case len(rows) == 0 && ev.ID != "" && seen[ev.ID]:
						fmt.Fprintln(g.Stdout, "  duplicate event: ignored")
					case len(rows) == 0:
						fmt.Fprintln(g.Stdout, "  no rule fired")
					}
					seen[ev.ID] = true
					for _, r := range rows {
						switch {
						case r.Action != "":
							fmt.Fprintf(g.Stdout, "  rule %s: %s -> %s", r.Rule, r.Action, r.Outcome)
						default:
							fmt.Fprintf(g.Stdout, "  %s", r.Outcome)
						}
						if r.Detail != "" {
							fmt.Fprintf(g.Stdout, " (%s)", r.Detail)
						}
						fmt.Fprintln(g.Stdout)
					}
				}
			}
			return nil
		},
	}
}
