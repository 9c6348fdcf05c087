package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/recording/acs"
)

func newRecordingCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recording",
		Short: "Control a call recording by hand: start, pause, resume, stop, state",
		Long: `Each subcommand calls the Call Automation recording API and prints the
service's answer as JSON on stdout; a failure exits non-zero with the HTTP
status, error code and the X-Microsoft-Skype-Chain-ID / X-Azure-Ref headers.
Credentials: --connection-string, $` + acs.EnvConnectionString + `, or --endpoint with Entra ID.`,
	}
	cmd.AddCommand(newRecordingStartCmd(g))
	for _, op := range []string{"pause", "resume", "stop", "state"} {
		cmd.AddCommand(newRecordingOpCmd(g, op))
	}
	return cmd
}

type startOutput struct {
	RecordingID         string `json:"recordingId"`
	RecordingState      string `json:"recordingState,omitempty"`
	RecordingKind       string `json:"recordingKind,omitempty"`
	StatusCode          int    `json:"statusCode"`
	RepeatabilityResult string `json:"repeatabilityResult,omitempty"`
	ChainID             string `json:"chainId,omitempty"`
	AzureRef            string `json:"azureRef,omitempty"`
}

func newRecordingStartCmd(g *cli.Globals) *cobra.Command {
	var (
		af                                    acsFlags
		serverCall, groupCall, callConn       string
		channel, content, format, callbackURI string
		pauseOnStart                          bool
		byos                                  string
	)
	cmd := &cobra.Command{
		Use:   "start (--server-call-id ID | --group-call-id ID | --call-connection-id ID)",
		Short: "Start recording a call",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n := 0
			for _, v := range []string{serverCall, groupCall, callConn} {
				if v != "" {
					n++
				}
			}
			if n != 1 {
				return cli.Usagef("give exactly one of --server-call-id, --group-call-id, --call-connection-id")
			}
			req := acs.StartRequest{
				CallConnectionID: callConn, RecordingStateCallbackURI: callbackURI,
				RecordingChannelType: channel, RecordingContentType: content, RecordingFormatType: format,
				PauseOnStart: pauseOnStart,
			}
			switch {
			case serverCall != "":
				req.CallLocator = acs.ServerCall(serverCall)
			case groupCall != "":
				req.CallLocator = acs.GroupCall(groupCall)
			}
			if byos != "" {
				req.ExternalStorage = &acs.ExternalStorage{RecordingStorageKind: acs.StorageBlob, RecordingDestinationContainerURL: byos}
			}
			c, err := af.client(g)
			if err != nil {
				return err
			}
			res, err := c.StartRecording(cmd.Context(), req, acs.StartOptions{})
			if err != nil {
				return describe(g, err)
			}
			return printJSON(g, startOutput{res.RecordingID, res.RecordingState.RecordingState, res.RecordingKind, res.StatusCode, res.RepeatabilityResult, res.ChainID, res.AzureRef})
		},
	}
	af.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&serverCall, "server-call-id", "", "server call id (base64, from IncomingCall/CallStarted)")
	fl.StringVar(&groupCall, "group-call-id", "", "group call id")
	fl.StringVar(&callConn, "call-connection-id", "", "call connection id of the app's leg")
	fl.StringVar(&channel, "channel", acs.ChannelUnmixed, "unmixed or mixed")
	fl.StringVar(&content, "content", acs.ContentAudio, "audio or audioVideo")
	fl.StringVar(&format, "format", acs.FormatWav, "wav, mp3 or mp4")
	fl.StringVar(&callbackURI, "callback-uri", "", "recordingStateCallbackUri (where RecordingStateChanged goes)")
	fl.BoolVar(&pauseOnStart, "pause-on-start", false, "start paused (a resume is needed for a file to be produced)")
	fl.StringVar(&byos, "byos-container", "", "bring-your-own-storage container URL (azureBlobStorage)")
	return cmd
}

type opOutput struct {
	RecordingID string `json:"recordingId"`
	Operation   string `json:"operation"`
	StatusCode  int    `json:"statusCode"`
	ChainID     string `json:"chainId,omitempty"`
	AzureRef    string `json:"azureRef,omitempty"`
}

func newRecordingOpCmd(g *cli.Globals, op string) *cobra.Command {
	var (
		af acsFlags
		id string
	)
	short := map[string]string{"pause": "Pause a recording", "resume": "Resume a paused recording", "stop": "Stop a recording", "state": "Print a recording's state"}[op]
	cmd := &cobra.Command{
		Use:   op + " --recording-id ID",
		Short: short,
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return cli.Usagef("--recording-id is required")
			}
			c, err := af.client(g)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var info acs.ResponseInfo
			status := http.StatusAccepted
			switch op {
			case "state":
				st, err := c.GetRecording(ctx, id)
				if err != nil {
					return describe(g, err)
				}
				return printJSON(g, st)
			case "pause":
				info, err = c.PauseRecording(ctx, id)
			case "resume":
				info, err = c.ResumeRecording(ctx, id)
			case "stop":
				info, err = c.StopRecording(ctx, id)
				status = http.StatusNoContent
			}
			if err != nil {
				return describe(g, err)
			}
			return printJSON(g, opOutput{id, op, status, info.ChainID, info.AzureRef})
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&id, "recording-id", "", "recording id (as returned by start; opaque)")
	return cmd
}

func printJSON(g *cli.Globals, v any) error {
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type errorOutput struct {
	StatusCode int    `json:"statusCode"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	Body       string `json:"body,omitempty"`
	ChainID    string `json:"chainId,omitempty"`
	AzureRef   string `json:"azureRef,omitempty"`
	Attempts   int    `json:"attempts,omitempty"`
}

// describe prints a service error (the service's answer) as JSON on stdout
// and returns the error for the exit code.
func describe(g *cli.Globals, err error) error {
	var re *acs.ResponseError
	if errors.As(err, &re) {
		_ = printJSON(g, map[string]errorOutput{"error": {re.StatusCode, re.Code, re.Message, re.Body, re.ChainID, re.AzureRef, re.Attempts}})
	}
	return fmt.Errorf("%w", err)
}
