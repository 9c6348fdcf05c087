package acstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/callscope/callscope/recording/acs"
)

// span is one stretch of wall-clock time the recording was active.
type span struct{ start, end time.Time }

type recordingState struct {
	seq           int
	id            string
	call          *Call
	req           acs.StartRequest
	state         string // active | inactive
	paused        bool
	stopped       bool
	startedAt     time.Time
	activeSince   time.Time // valid when active
	spans         []span
	startRequests int
	pauses        int
	resumes       int
	docs          []string
	platformID    string
}

func (r *recordingState) info() RecordingInfo {
	return RecordingInfo{
		ID: r.id, State: r.state, Stopped: r.stopped, ServerCallID: r.call.ServerCallID,
		CorrelationID: r.call.CorrelationID, StartRequests: r.startRequests,
		Pauses: r.pauses, Resumes: r.resumes, DocumentIDs: append([]string(nil), r.docs...),
	}
}

func sortInfos(out []RecordingInfo, m map[string]*recordingState) {
	sort.Slice(out, func(i, j int) bool { return m[out[i].ID].seq < m[out[j].ID].seq })
}

type repeatEntry struct {
	bodyHash [32]byte
	status   int
	body     []byte
	recID    string
}

const maxRequestBody = 64 << 10

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// recorder captures the response for the exchange log.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/calling/.well-known/acsopenidconfiguration":
		s.serveDiscovery(w)
		return
	case "/calling/keys":
		s.serveJWKS(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "cannot read body")
		return
	}
	rec := &recorder{ResponseWriter: w}
	auth := s.handleREST(rec, r, body)
	ex := Exchange{
		Method: r.Method, EscapedPath: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(),
		Body: body, Status: rec.status, RespHeader: w.Header().Clone(), RespBody: rec.buf.Bytes(), Authenticated: auth,
	}
	var v []string
	if s.opts.Spec != nil && rec.status != 0 { // 0: the client went away
		for _, e := range s.opts.Spec.CheckRequest(ex.Method, ex.EscapedPath, ex.Query, ex.Header, ex.Body) {
			v = append(v, fmt.Sprintf("request %s %s: %v", ex.Method, ex.EscapedPath, e))
		}
		for _, e := range s.opts.Spec.CheckResponse(ex.Method, ex.EscapedPath, ex.Status, ex.RespBody) {
			v = append(v, fmt.Sprintf("response %d to %s %s: %v", ex.Status, ex.Method, ex.EscapedPath, e))
		}
	}
	s.mu.Lock()
	s.exchanges = append(s.exchanges, ex)
	s.violations = append(s.violations, v...)
	s.mu.Unlock()
}

// handleREST serves one REST request; it reports whether the request
// authenticated.
func (s *Server) handleREST(w http.ResponseWriter, r *http.Request, body []byte) bool {
	s.mu.Lock()
	f := s.faults
	inject := f.FailRequests > 0
	if inject {
		s.faults.FailRequests--
	}
	s.mu.Unlock()
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return false
		}
	}
	w.Header().Set("X-Microsoft-Skype-Chain-ID", acs.NewUUID())
	w.Header().Set("X-Azure-Ref", "0"+base64.StdEncoding.EncodeToString([]byte(acs.NewUUID()))[:40])
	if inject {
		status := f.FailStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.HTMLErrors {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<!DOCTYPE html><html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status))
			return false
		}
		writeError(w, status, "9999", "injected failure: "+http.StatusText(status))
		return false
	}
	if len(body) > maxRequestBody {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLarge", "request body too large")
		return false
	}
	if err := s.authenticate(r, body); err != nil {
		writeError(w, http.StatusUnauthorized, "Unauthorized", "Denied by the authentication policy: "+err.Error())
		return false
	}
	v := r.URL.Query()["api-version"]
	if len(v) != 1 || !containsStr(s.opts.APIVersions, v[0]) {
		writeError(w, http.StatusBadRequest, "InvalidApiVersion", "missing or unsupported api-version")
		return true
	}
	p := r.URL.EscapedPath()
	switch {
	case p == "/calling/recordings":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "method not allowed")
			return true
		}
		s.start(w, r, body)
		return true
	case strings.HasPrefix(p, "/calling/recordings/"):
		seg := strings.TrimPrefix(p, "/calling/recordings/")
		if strings.Contains(seg, "/") {
			writeError(w, http.StatusNotFound, "NotFound", "no such resource")
			return true
		}
		op := ""
		if i := strings.LastIndexByte(seg, ':'); i >= 0 {
			seg, op = seg[:i], seg[i+1:]
		}
		id, err := url.PathUnescape(seg)
		if err != nil || id == "" {
			writeError(w, http.StatusBadRequest, "BadRequest", "bad recording id")
			return true
		}
		switch {
		case op == "" && r.Method == http.MethodGet:
			s.getState(w, id)
		case op == "" && r.Method == http.MethodDelete:
			s.stop(w, id)
		case (op == "pause" || op == "resume") && r.Method == http.MethodPost:
			if len(bytes.TrimSpace(body)) > 0 {
				writeError(w, http.StatusBadRequest, "BadRequest", op+" takes no body")
				return true
			}
			s.pauseResume(w, id, op == "pause")
		default:
			writeError(w, http.StatusNotFound, "NotFound", "no such operation")
		}
		return true
	}
	writeError(w, http.StatusNotFound, "NotFound", "no such resource")
	return true
}

func (s *Server) authenticate(r *http.Request, body []byte) error {
	a := r.Header.Get("Authorization")
	if s.opts.BearerToken != "" && strings.HasPrefix(a, "Bearer ") {
		if strings.TrimPrefix(a, "Bearer ") != s.opts.BearerToken {
			return errors.New("invalid bearer token")
		}
		return nil
	}
	if a == "" {
		return errors.New("missing Authorization")
	}
	return s.signer.Verify(r, body, r.Host, s.opts.Clock(), s.opts.MaxClockSkew)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func (s *Server) notFound(w http.ResponseWriter, what string) {
	if s.opts.EmptyNotFoundBodies {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeError(w, http.StatusNotFound, "8522", what+" not found")
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Server) start(w http.ResponseWriter, r *http.Request, body []byte) {
	reqID := r.Header.Get("Repeatability-Request-ID")
	firstSent := r.Header.Get("Repeatability-First-Sent")
	if reqID != "" || firstSent != "" {
		if !uuidRe.MatchString(reqID) {
			writeError(w, http.StatusBadRequest, "InvalidRepeatabilityRequestId", "Repeatability-Request-ID must be a UUID")
			return
		}
		if _, err := http.ParseTime(firstSent); err != nil || !strings.HasSuffix(firstSent, " GMT") {
			writeError(w, http.StatusBadRequest, "InvalidRepeatabilityFirstSent", "Repeatability-First-Sent must be an IMF-fixdate")
			return
		}
	}
	hash := sha256.Sum256(body)
	s.mu.Lock()
	if reqID != "" {
		if e, ok := s.repeat[reqID]; ok {
			if e.bodyHash != hash {
				s.mu.Unlock()
				w.Header().Set("Repeatability-Result", "rejected")
				writeError(w, http.StatusConflict, "RepeatabilityConflict", "Repeatability-Request-ID reused with a different request")
				return
			}
			if rec := s.recordings[e.recID]; rec != nil {
				rec.startRequests++
			}
			s.mu.Unlock()
			w.Header().Set("Repeatability-Result", "accepted")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(e.status)
			_, _ = w.Write(e.body)
			return
		}
	}
	s.mu.Unlock()

	var req acs.StartRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestBody", "invalid request body: "+err.Error())
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "InvalidRequestBody", "trailing data after the request body")
		return
	}
	call, status, code, msg := s.validateStart(&req)
	if call == nil {
		writeError(w, status, code, msg)
		return
	}
	now := s.opts.Clock()
	s.mu.Lock()
	for _, other := range s.recordings {
		if other.call == call && !other.stopped {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, "RecordingAlreadyInProgress", "a recording is already in progress for this call")
			return
		}
	}
	platformID := acs.NewUUID()
	idJSON := fmt.Sprintf(`{"PlatformEndpointId":"%s","ResourceSpecificId":"%s"}`, platformID, acs.NewUUID())
	rec := &recordingState{
		seq: len(s.recordings), id: base64.RawStdEncoding.EncodeToString([]byte(idJSON)), call: call, req: req,
		state: acs.StateInactive, startedAt: now, startRequests: 1, platformID: platformID,
	}
	if !req.PauseOnStart {
		rec.state, rec.activeSince = acs.StateActive, now
	} else {
		rec.paused = true
	}
	failAsync := s.faults.FailStarts > 0
	if failAsync {
		s.faults.FailStarts--
		rec.stopped, rec.state, rec.paused = true, acs.StateInactive, true
	}
	s.recordings[rec.id] = rec
	resp, _ := json.Marshal(acs.RecordingState{RecordingID: rec.id, RecordingState: acs.StateInactive, RecordingKind: "azureCommunicationServices"})
	resp = append(resp, '\n')
	if reqID != "" {
		s.repeat[reqID] = &repeatEntry{bodyHash: hash, status: s.opts.StartStatus, body: resp, recID: rec.id}
	}
	s.mu.Unlock()
	w.Header().Set("Repeatability-Result", "accepted")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(s.opts.StartStatus)
	_, _ = w.Write(resp)

	if failAsync {
		if uri := req.RecordingStateCallbackURI; uri != "" {
			s.SendCallback(uri, "StartRecordingFailed", "calling/recordings/"+call.ServerCallID+"/"+rec.id+"/StartRecordingFailed", map[string]any{
				"recordingId": rec.id, "callConnectionId": platformID, "serverCallId": call.ServerCallID, "correlationId": call.CorrelationID,
				"resultInformation": map[string]any{"code": 500, "subCode": 8583, "message": "Recording failed to start (simulated)."},
			})
		}
		return
	}
	// The service first reports inactive with the .NET zero time, then
	// active (unless started paused).
	s.recordingStateChanged(rec, acs.StateInactive, time.Time{})
	if !req.PauseOnStart {
		s.recordingStateChanged(rec, acs.StateActive, now)
	}
}

// validateStart checks a start request; on failure call is nil and the
// status, code and message describe the error.
func (s *Server) validateStart(req *acs.StartRequest) (call *Call, status int, code, msg string) {
	bad := func(m string) (*Call, int, string, string) { return nil, http.StatusBadRequest, "InvalidRequest", m }
	if (req.CallLocator == nil) == (req.CallConnectionID == "") {
		return bad("exactly one of callLocator or callConnectionId must be given")
	}
	enum := func(field, v string, allowed ...string) string {
		if v != "" && !containsStr(allowed, v) {
			return fmt.Sprintf("%s: invalid value %q", field, v)
		}
		return ""
	}
	for _, m := range []string{
		enum("recordingContentType", req.RecordingContentType, acs.ContentAudio, acs.ContentAudioVideo),
		enum("recordingChannelType", req.RecordingChannelType, acs.ChannelMixed, acs.ChannelUnmixed),
		enum("recordingFormatType", req.RecordingFormatType, acs.FormatWav, acs.FormatMp3, acs.FormatMp4),
	} {
		if m != "" {
			return bad(m)
		}
	}
	content, channel, format := orDefault(req.RecordingContentType, acs.ContentAudioVideo), orDefault(req.RecordingChannelType, acs.ChannelMixed), orDefault(req.RecordingFormatType, acs.FormatMp4)
	if content == acs.ContentAudio && format == acs.FormatMp4 && req.RecordingFormatType == "" {
		format = acs.FormatWav
	}
	switch {
	case channel == acs.ChannelUnmixed && (format != acs.FormatWav || content != acs.ContentAudio):
		return bad("unmixed recordings are audio in wav format only")
	case content == acs.ContentAudioVideo && format != acs.FormatMp4:
		return bad("audioVideo recordings are mp4 only")
	case content == acs.ContentAudio && format == acs.FormatMp4:
		return bad("audio recordings are wav or mp3")
	}
	if format != acs.FormatWav {
		// The simulator renders WAV only.
		return nil, http.StatusBadRequest, "UnsupportedBySimulator", "the simulator renders wav recordings only"
	}
	for i, a := range req.ChannelAffinity {
		if a.Channel != nil && (*a.Channel < 0 || *a.Channel > 4) {
			return bad(fmt.Sprintf("channelAffinity[%d].channel out of range", i))
		}
		if a.Participant.RawID == "" {
			return bad(fmt.Sprintf("channelAffinity[%d].participant.rawId is required", i))
		}
	}
	if es := req.ExternalStorage; es != nil {
		switch es.RecordingStorageKind {
		case acs.StorageACS:
		case acs.StorageBlob:
			u, err := url.Parse(es.RecordingDestinationContainerURL)
			if err != nil || !u.IsAbs() {
				return bad("externalStorage.recordingDestinationContainerUrl must be an absolute URL")
			}
			if s.opts.BlobConnectionString == "" {
				return nil, http.StatusBadRequest, "UnsupportedBySimulator", "no blob storage configured"
			}
		default:
			return bad("externalStorage.recordingStorageKind is required")
		}
	}
	if req.RecordingStateCallbackURI != "" {
		if u, err := url.Parse(req.RecordingStateCallbackURI); err != nil || !u.IsAbs() {
			return bad("recordingStateCallbackUri must be an absolute URI")
		}
	}
	if req.CallConnectionID != "" {
		if c := s.findCall("connection", req.CallConnectionID); c != nil {
			return c, 0, "", ""
		}
		return nil, http.StatusNotFound, "8522", "call connection not found"
	}
	l := req.CallLocator
	switch l.Kind {
	case acs.LocatorServerCall, "":
		if l.ServerCallID == "" || l.GroupCallID != "" || l.RoomID != "" {
			return bad("serverCallLocator needs serverCallId only")
		}
		if _, err := base64.StdEncoding.DecodeString(l.ServerCallID); err != nil {
			return bad("The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.")
		}
		if c := s.findCall("server", l.ServerCallID); c != nil {
			return c, 0, "", ""
		}
	case acs.LocatorGroupCall:
		if l.GroupCallID == "" || l.ServerCallID != "" || l.RoomID != "" {
			return bad("groupCallLocator needs groupCallId only")
		}
		if c := s.findCall("group", l.GroupCallID); c != nil {
			return c, 0, "", ""
		}
	case acs.LocatorRoomCall:
		return bad("roomCallLocator is not supported for start recording")
	default:
		return bad("unknown callLocator kind")
	}
	return nil, http.StatusNotFound, "8522", "call not found"
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func (s *Server) getState(w http.ResponseWriter, id string) {
	s.mu.Lock()
	rec, ok := s.recordings[id]
	var st acs.RecordingState
	if ok && !rec.stopped {
		st = acs.RecordingState{RecordingID: rec.id, RecordingState: rec.state, RecordingKind: "azureCommunicationServices"}
	}
	s.mu.Unlock()
	if !ok || rec.stopped {
		s.notFound(w, "recording")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) pauseResume(w http.ResponseWriter, id string, pause bool) {
	now := s.opts.Clock()
	s.mu.Lock()
	rec, ok := s.recordings[id]
	if !ok || rec.stopped {
		s.mu.Unlock()
		s.notFound(w, "recording")
		return
	}
	changed := false
	if pause {
		rec.pauses++
		if !rec.paused {
			rec.paused, changed = true, true
			rec.spans = append(rec.spans, span{rec.activeSince, now})
			rec.state = acs.StateInactive
		}
	} else {
		rec.resumes++
		if rec.paused {
			rec.paused, changed = false, true
			rec.activeSince = now
			rec.state = acs.StateActive
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	if changed {
		if pause {
			s.recordingStateChanged(rec, acs.StateInactive, now)
		} else {
			s.recordingStateChanged(rec, acs.StateActive, now)
		}
	}
}

func (s *Server) stop(w http.ResponseWriter, id string) {
	now := s.opts.Clock()
	s.mu.Lock()
	rec, ok := s.recordings[id]
	if !ok || rec.stopped {
		s.mu.Unlock()
		s.notFound(w, "recording")
		return
	}
	rec.stopped = true
	if !rec.paused {
		rec.spans = append(rec.spans, span{rec.activeSince, now})
	}
	wasActive := rec.state == acs.StateActive
	rec.state = acs.StateInactive
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	if wasActive {
		s.recordingStateChanged(rec, acs.StateInactive, now)
	}
	s.enqueueProduce(rec)
}

// EndCall hangs the call up as the service would: every recording of the
// call that is not stopped stops (and is produced), and, when callbackURI is
// not empty, a CallDisconnected callback is sent to it.
func (s *Server) EndCall(c *Call, callbackURI string) {
	now := s.opts.Clock()
	var stopped []*recordingState
	s.mu.Lock()
	for _, rec := range s.recordings {
		if rec.call.ServerCallID != c.ServerCallID || rec.stopped {
			continue
		}
		rec.stopped = true
		if !rec.paused {
			rec.spans = append(rec.spans, span{rec.activeSince, now})
		}
		rec.state = acs.StateInactive
		stopped = append(stopped, rec)
	}
	s.mu.Unlock()
	sort.Slice(stopped, func(i, j int) bool { return stopped[i].seq < stopped[j].seq })
	for _, rec := range stopped {
		if !rec.paused {
			s.recordingStateChanged(rec, acs.StateInactive, now)
		}
		s.enqueueProduce(rec)
	}
	if callbackURI != "" {
		s.SendCallDisconnected(callbackURI, c)
	}
}
