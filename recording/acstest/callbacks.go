package acstest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/callscope/callscope/recording/acs"
)

// Delivery is one callback or webhook POST the simulator made.
type Delivery struct {
	URL    string
	Kind   string // "callback" or "eventgrid"
	Type   string // event type
	Body   []byte
	Status int   // HTTP status, 0 on transport error
	Err    error // transport error
}

// Deliveries returns every delivery attempt so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

type delivery struct {
	kind    string // callback, eventgrid, produce
	url     string
	typ     string
	body    []byte
	rec     *recordingState
	retries int
}

func (s *Server) serveDiscovery(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.opts.Issuer,
		"jwks_uri":                              s.rest.URL + "/calling/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
	})
}

func (s *Server) serveJWKS(w http.ResponseWriter) {
	pub := s.rsaKey.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// Token mints a callback JWT for audience, valid for ttl from the
// simulated clock (the service uses 5 minutes).
func (s *Server) Token(audience string, ttl time.Duration) string {
	now := s.opts.Clock()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": s.opts.Issuer, "aud": audience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	})
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.rsaKey)
	if err != nil {
		panic("acstest: sign token: " + err.Error())
	}
	return signed
}

// cloudEvent is the envelope of a Call Automation callback.
type cloudEvent struct {
	ID              string         `json:"id"`
	Source          string         `json:"source"`
	Type            string         `json:"type"`
	Data            map[string]any `json:"data"`
	Time            string         `json:"time"`
	SpecVersion     string         `json:"specversion"`
	DataContentType string         `json:"datacontenttype"`
	Subject         string         `json:"subject"`
}

const callbackAPIVersion = "2025-06-15"

func (s *Server) recordingStateChanged(rec *recordingState, state string, start time.Time) {
	if rec.req.RecordingStateCallbackURI == "" {
		return
	}
	startStr := "0001-01-01T00:00:00+00:00"
	if !start.IsZero() {
		startStr = start.UTC().Format("2006-01-02T15:04:05.0000000+00:00")
	}
	source := "calling/recordings/" + rec.call.ServerCallID + "/" + rec.id + "/RecordingStateChanged"
	s.SendCallback(rec.req.RecordingStateCallbackURI, "RecordingStateChanged", source, map[string]any{
		"recordingId":       rec.id,
		"state":             state,
		"startDateTime":     startStr,
		"recordingKind":     "azureCommunicationServices",
		"resultInformation": map[string]any{"code": 200, "subCode": 0, "message": ""},
		// The recording bot's own leg, not the app's call connection.
		"callConnectionId": rec.platformID,
		"serverCallId":     rec.call.ServerCallID,
		"correlationId":    rec.call.CorrelationID,
	})
}

// SendCallback queues a Call Automation callback of type
// "Microsoft.Communication.<name>" to uri: a JSON array holding one
// CloudEvent with data (version and publicEventType are added), signed
// with a fresh JWT for the resource id.
func (s *Server) SendCallback(uri, name, source string, data map[string]any) {
	typ := "Microsoft.Communication." + name
	d := map[string]any{"version": callbackAPIVersion, "publicEventType": typ}
	for k, v := range data {
		d[k] = v
	}
	ev := cloudEvent{
		ID: acs.NewUUID(), Source: source, Type: typ, Data: d,
		Time:        s.opts.Clock().UTC().Format("2006-01-02T15:04:05.0000000+00:00"),
		SpecVersion: "1.0", DataContentType: "application/json", Subject: source,
	}
	body, _ := json.Marshal([]cloudEvent{ev})
	s.enqueue(delivery{kind: "callback", url: uri, typ: typ, body: body})
}

// SendTone sends a ContinuousDtmfRecognitionToneReceived callback for the
// call's first call connection (the app's leg) to uri.
func (s *Server) SendTone(uri string, c *Call, sequenceID int, tone string) {
	cc := ""
	if len(c.CallConnectionIDs) > 0 {
		cc = c.CallConnectionIDs[0]
	}
	s.SendCallback(uri, "ContinuousDtmfRecognitionToneReceived", "calling/callConnections/"+cc, map[string]any{
		"sequenceId": sequenceID, "tone": tone,
		"callConnectionId": cc, "serverCallId": c.ServerCallID, "correlationId": c.CorrelationID,
		"resultInformation": map[string]any{"code": 200, "subCode": 0, "message": "DTMF tone received successfully."},
	})
}

// SendCallDisconnected sends a CallDisconnected callback (normal hang-up).
func (s *Server) SendCallDisconnected(uri string, c *Call) {
	cc := ""
	if len(c.CallConnectionIDs) > 0 {
		cc = c.CallConnectionIDs[0]
	}
	s.SendCallback(uri, "CallDisconnected", "calling/callConnections/"+cc, map[string]any{
		"callConnectionId": cc, "serverCallId": c.ServerCallID, "correlationId": c.CorrelationID,
		"resultInformation": map[string]any{"code": 200, "subCode": 7000, "message": "The conversation has ended. DiagCode: 0#7000.@"},
	})
}

func (s *Server) enqueue(d delivery) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	s.cbMu.Lock()
	defer s.cbMu.Unlock()
	if s.closed {
		return
	}
	items := []delivery{d}
	if d.kind == "callback" && f.DuplicateCallbacks {
		items = append(items, d)
	}
	for _, it := range items {
		if it.kind == "callback" && f.ReorderCallbacks {
			if s.cbHeld == nil {
				h := it
				s.cbHeld = &h
				continue
			}
			s.cbQueue = append(s.cbQueue, it, *s.cbHeld)
			s.cbHeld = nil
			continue
		}
		s.cbQueue = append(s.cbQueue, it)
	}
	s.cbCond.Broadcast()
}

func (s *Server) enqueueProduce(rec *recordingState) {
	s.enqueue(delivery{kind: "produce", rec: rec})
}

// WaitIdle flushes a held (reordered) callback and waits until every
// queued callback, recording and webhook delivery is done, or ctx ends.
func (s *Server) WaitIdle(ctx context.Context) error {
	s.cbMu.Lock()
	if s.cbHeld != nil {
		s.cbQueue = append(s.cbQueue, *s.cbHeld)
		s.cbHeld = nil
		s.cbCond.Broadcast()
	}
	s.cbMu.Unlock()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		s.cbMu.Lock()
		idle := len(s.cbQueue) == 0 && s.cbBusy == 0 && s.cbHeld == nil
		s.cbMu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Server) callbackWorker() {
	defer s.workers.Done()
	for {
		s.cbMu.Lock()
		for len(s.cbQueue) == 0 && !s.closed {
			s.cbCond.Wait()
		}
		if len(s.cbQueue) == 0 && s.closed {
			s.cbMu.Unlock()
			return
		}
		d := s.cbQueue[0]
		s.cbQueue = s.cbQueue[1:]
		s.cbBusy++
		s.cbMu.Unlock()
		s.process(d)
		s.cbMu.Lock()
		s.cbBusy--
		s.cbMu.Unlock()
	}
}

func (s *Server) process(d delivery) {
	switch d.kind {
	case "produce":
		s.produce(d.rec)
	case "callback", "eventgrid":
		s.mu.Lock()
		delay := s.faults.CallbackDelay
		s.mu.Unlock()
		if delay > 0 && d.kind == "callback" {
			time.Sleep(delay)
		}
		for attempt := 0; ; attempt++ {
			status, err := s.post(d)
			s.mu.Lock()
			s.deliveries = append(s.deliveries, Delivery{URL: d.url, Kind: d.kind, Type: d.typ, Body: d.body, Status: status, Err: err})
			s.mu.Unlock()
			// Event Grid retries failures other than 400/401/403/413;
			// the simulator retries a few times quickly.
			ok := err == nil && status >= 200 && status <= 204
			final := status == 400 || status == 401 || status == 403 || status == 413
			if ok || final || attempt >= 3 || s.ctx.Err() != nil {
				if !ok {
					s.log.Warn("acstest: delivery failed", "kind", d.kind, "type", d.typ, "status", status, "error", err)
				}
				return
			}
			time.Sleep(time.Duration(20*(attempt+1)) * time.Millisecond)
		}
	}
}

func (s *Server) post(d delivery) (int, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	switch d.kind {
	case "callback":
		req.Header.Set("Authorization", "Bearer "+s.Token(s.opts.ResourceID, 5*time.Minute))
	case "eventgrid":
		if s.opts.CloudEvents {
			req.Header.Set("Content-Type", "application/cloudevents-batch+json; charset=utf-8")
		}
		req.Header.Set("aeg-event-type", "Notification")
		req.Header.Set("aeg-subscription-name", "CALLSCOPE-SIM")
		req.Header.Set("aeg-delivery-count", fmt.Sprint(d.retries))
		req.Header.Set("aeg-metadata-version", "1")
		req.Header.Set("aeg-data-version", "1.0")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ValidateWebhook runs Event Grid's subscription validation handshake
// against the webhook: for the Event Grid schema it POSTs a
// SubscriptionValidationEvent (aeg-event-type: SubscriptionValidation) and
// requires HTTP 200 with {"validationResponse": <code>}; for CloudEvents it
// sends the OPTIONS abuse-protection request and requires 200 with
// WebHook-Allowed-Origin echoing the origin (or *).
func (s *Server) ValidateWebhook(ctx context.Context) error {
	if s.opts.EventGridWebhook == "" {
		return fmt.Errorf("acstest: no webhook configured")
	}
	if s.opts.CloudEvents {
		req, err := http.NewRequestWithContext(ctx, http.MethodOptions, s.opts.EventGridWebhook, nil)
		if err != nil {
			return err
		}
		req.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
		resp, err := s.hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if o := resp.Header.Get("WebHook-Allowed-Origin"); resp.StatusCode != http.StatusOK || (o != "eventgrid.azure.net" && o != "*") {
			return fmt.Errorf("acstest: CloudEvents validation: HTTP %d, WebHook-Allowed-Origin %q", resp.StatusCode, o)
		}
		return nil
	}
	code := acs.NewUUID()
	body, _ := json.Marshal([]map[string]any{{
		"id": acs.NewUUID(), "topic": "/subscriptions/00000000-0000-0000-0000-000000000000", "subject": "",
		"data": map[string]any{
			"validationCode": code,
			"validationUrl":  "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/sim/validate?id=" + code + "&token=sim",
		},
		"eventType": "Microsoft.EventGrid.SubscriptionValidationEvent", "eventTime": s.opts.Clock().UTC().Format(time.RFC3339Nano),
		"metadataVersion": "1", "dataVersion": "1",
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.EventGridWebhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("aeg-event-type", "SubscriptionValidation")
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answer struct {
		ValidationResponse string `json:"validationResponse"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("acstest: validation answered HTTP %d (Event Grid needs 200)", resp.StatusCode)
	}
	if err := json.Unmarshal(b, &answer); err != nil || answer.ValidationResponse != code {
		return fmt.Errorf("acstest: validation answer %q does not echo the code", b)
	}
	return nil
}
