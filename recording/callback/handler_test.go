package callback_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/callscope/callscope/recording/acstest"
	"github.com/callscope/callscope/recording/callback"
)

type collect struct {
	mu     sync.Mutex
	events []callback.Event
	fail   bool
}

func (c *collect) HandleCallbacks(_ context.Context, evs []callback.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return context.DeadlineExceeded
	}
	c.events = append(c.events, evs...)
	return nil
}

func TestHandlerValidatesJWT(t *testing.T) {
	sim := acstest.NewServer(acstest.Options{})
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &collect{}
	h, err := callback.NewHandler(ctx, callback.Options{OpenIDConfigURL: sim.OpenIDConfigURL(), Audience: sim.ResourceID(), MaxBodyBytes: 4096}, sink)
	if err != nil {
		t.Fatal(err)
	}
	body := `[{"id":"1","type":"Microsoft.Communication.CallConnected","specversion":"1.0","data":{"serverCallId":"s","correlationId":"c"}}]`
	post := func(auth, body string) int {
		r := httptest.NewRequest(http.MethodPost, "/api/callbacks", strings.NewReader(body))
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	good := sim.Token(sim.ResourceID(), 5*time.Minute)
	tampered := good[:len(good)-4] + "AAAA"
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": sim.Issuer(), "aud": sim.ResourceID(), "exp": time.Now().Add(time.Minute).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, tc := range []struct {
		name, auth, body string
		want             int
	}{
		{"valid", "Bearer " + good, body, 200},
		{"no token", "", body, 401},
		{"not bearer", "Basic abc", body, 401},
		{"tampered", "Bearer " + tampered, body, 401},
		{"wrong audience", "Bearer " + sim.Token("00000000-0000-0000-0000-000000000000", time.Minute), body, 401},
		{"expired", "Bearer " + sim.Token(sim.ResourceID(), -5*time.Minute), body, 401},
		{"alg none", "Bearer " + none, body, 401},
		{"bad body", "Bearer " + good, `{"nope":`, 400},
		{"too large", "Bearer " + good, "[" + strings.Repeat(" ", 5000) + "]", 413},
	} {
		if got := post(tc.auth, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if len(sink.events) != 1 {
		t.Errorf("%d events reached the sink, want 1", len(sink.events))
	}
	sink.fail = true
	if got := post("Bearer "+good, body); got != 503 {
		t.Errorf("sink failure: %d, want 503", got)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/callbacks", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 405 {
		t.Errorf("GET: %d", w.Code)
	}
}

func TestHandlerWrongIssuer(t *testing.T) {
	sim := acstest.NewServer(acstest.Options{Issuer: "https://acscallautomation.communication.azure.com"})
	defer sim.Close()
	h, err := callback.NewHandler(t.Context(), callback.Options{OpenIDConfigURL: sim.OpenIDConfigURL(), Issuer: "https://acscallautomation.communication.microsoft.com", Audience: sim.ResourceID()}, &collect{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/callbacks", strings.NewReader(`[]`))
	r.Header.Set("Authorization", "Bearer "+sim.Token(sim.ResourceID(), time.Minute))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Errorf("wrong issuer: %d, want 401", w.Code)
	}
}

func TestNewHandlerNeedsAudience(t *testing.T) {
	if _, err := callback.NewHandler(t.Context(), callback.Options{Issuer: "i", JWKSURL: "http://127.0.0.1:1/keys"}, &collect{}); err == nil {
		t.Error("accepted options without audience")
	}
}
