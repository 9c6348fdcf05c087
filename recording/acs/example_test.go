package acs_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

// The signature of a request to the ACS data plane (vector 1 of the SDK
// tests: key "pw==").
func ExampleHMACSigner_Sign() {
	s, _ := acs.NewHMACSigner("pw==")
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/testPath?testQuery=test", nil)
	now, _ := http.ParseTime("Wed, 13 Apr 2022 18:09:12 GMT")
	_ = s.Sign(req, nil, "", now)
	fmt.Println(req.Header.Get("x-ms-content-sha256"))
	fmt.Println(req.Header.Get("Authorization"))
	// Output:
	// 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
	// HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=
}

// Start, pause, resume and stop an unmixed recording (here against the
// in-process simulator).
func ExampleClient_StartRecording() {
	sim := acstest.NewServer(acstest.Options{})
	defer sim.Close()
	call := sim.AddCall(acstest.Call{})

	c, err := acs.NewClientFromConnectionString(sim.ConnectionString(), acs.Options{})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	res, err := c.StartRecording(ctx, acs.StartRequest{
		CallLocator:          acs.ServerCall(call.ServerCallID),
		RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelUnmixed, RecordingFormatType: acs.FormatWav,
	}, acs.StartOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.StatusCode, res.RepeatabilityResult, res.RecordingState.RecordingState)
	_, _ = c.PauseRecording(ctx, res.RecordingID)
	st, _ := c.GetRecording(ctx, res.RecordingID)
	fmt.Println(st.RecordingState)
	_, _ = c.ResumeRecording(ctx, res.RecordingID)
	_, _ = c.StopRecording(ctx, res.RecordingID)
	_, err = c.GetRecording(ctx, res.RecordingID)
	fmt.Println(err != nil)
	// Output:
	// 200 accepted inactive
	// inactive
	// true
}
