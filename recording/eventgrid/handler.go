package eventgrid

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBodyBytes bounds a delivery body: Event Grid batches are at
// most 1 MB by preference, single events at most 1 MB; leave headroom.
const DefaultMaxBodyBytes = 4 << 20

// Sink persists accepted events. Accept must return only once every event
// is durable (or an error, which the Handler answers with 503 so Event Grid
// retries). Events of types the Sink does not handle are its to ignore.
type Sink interface {
	Accept(ctx context.Context, evs []Event) error
}

// Hooks observe a Handler (for metrics). Nil fields are skipped.
type Hooks struct {
	Received     func(n int)         // events decoded from a delivery
	Acknowledged func(n int)         // events persisted and answered 200
	Rejected     func(reason string) // a delivery answered with 4xx/5xx
}

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	// MaxBodyBytes bounds a delivery; larger bodies get 413. Default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Auth authenticates deliveries and handshakes. Nil accepts all (the
	// caller must have decided that explicitly).
	Auth   Authenticator
	Logger *slog.Logger
	Hooks  Hooks
}

// Handler serves the Event Grid webhook: POST deliveries and the OPTIONS
// CloudEvents handshake.
type Handler struct {
	sink Sink
	o    HandlerOptions
	log  *slog.Logger
}

// NewHandler returns a webhook handler persisting into sink.
func NewHandler(sink Sink, o HandlerOptions) *Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Handler{sink: sink, o: o, log: l.WithGroup("eventgrid")}
}

func (h *Handler) reject(w http.ResponseWriter, status int, reason, msg string) {
	if h.o.Hooks.Rejected != nil {
		h.o.Hooks.Rejected(reason)
	}
	http.Error(w, msg, status)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodOptions:
		h.serveOptions(w, r)
	case http.MethodPost:
		h.servePost(w, r)
	default:
		w.Header().Set("Allow", "OPTIONS, POST")
		h.reject(w, http.StatusMethodNotAllowed, "method", "method not allowed")
	}
}

// serveOptions answers the CloudEvents abuse-protection handshake.
func (h *Handler) serveOptions(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("WebHook-Request-Origin")
	if origin == "" || len(origin) > 255 || strings.ContainsAny(origin, "\r\n") {
		h.reject(w, http.StatusBadRequest, "handshake", "missing or invalid WebHook-Request-Origin")
		return
	}
	if err := h.auth(r); err != nil {
		h.rejectAuth(w, err)
		return
	}
	h.log.Info("cloudevents handshake accepted", "origin", origin)
	w.Header().Set("WebHook-Allowed-Origin", origin)
	w.Header().Set("WebHook-Allowed-Rate", "*")
	w.Header().Set("Allow", "POST")
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) auth(r *http.Request) error {
	if h.o.Auth == nil {
		return nil
	}
	return h.o.Auth.Authenticate(r)
}

func (h *Handler) rejectAuth(w http.ResponseWriter, err error) {
	var ae *AuthError
	status, reason := http.StatusUnauthorized, "auth"
	if errors.As(err, &ae) {
		status, reason = ae.Status, "auth_"+ae.Reason
	}
	h.log.Warn("delivery rejected", "status", status, "reason", reason)
	h.reject(w, status, reason, http.StatusText(status))
}

// acceptedContentType reports whether ct may carry a structured delivery.
func acceptedContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "text/json", "application/cloudevents+json", "application/cloudevents-batch+json":
		return true
	}
	return false
}

func (h *Handler) servePost(w http.ResponseWriter, r *http.Request) {
	if err := h.auth(r); err != nil {
		h.rejectAuth(w, err)
		return
	}
	if !acceptedContentType(r.Header.Get("Content-Type")) {
		h.reject(w, http.StatusUnsupportedMediaType, "content_type", "unsupported content type (want application/json or application/cloudevents[-batch]+json)")
		return
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		h.reject(w, http.StatusRequestEntityTooLarge, "too_large", "body too large")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.reject(w, http.StatusRequestEntityTooLarge, "too_large", "body too large")
			return
		}
		// The client went away or the connection broke: nothing was
		// acknowledged and a retry may succeed, so not a 400.
		h.log.Warn("read delivery body", "err", err)
		h.reject(w, http.StatusServiceUnavailable, "read_body", "cannot read body")
		return
	}
	evs, err := Decode(body)
	if err != nil {
		h.log.Warn("undecodable delivery", "err", err, "bytes", len(body))
		h.reject(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	if h.o.Hooks.Received != nil {
		h.o.Hooks.Received(len(evs))
	}
	// Subscription validation is answered synchronously and never stored.
	for _, ev := range evs {
		if !ev.IsType(TypeSubscriptionValidation) {
			continue
		}
		var vd ValidationData
		if err := json.Unmarshal(ev.Data, &vd); err != nil || vd.ValidationCode == "" {
			h.reject(w, http.StatusBadRequest, "malformed", "validation event without validationCode")
			return
		}
		// The validationUrl is the manual fallback; an operator needs it.
		h.log.Info("event grid subscription validation", "topic", ev.Source, "validationUrl", vd.ValidationURL)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ValidationResponse{ValidationResponse: vd.ValidationCode})
		if h.o.Hooks.Acknowledged != nil {
			h.o.Hooks.Acknowledged(1)
		}
		return
	}
	if err := h.sink.Accept(r.Context(), evs); err != nil {
		h.log.Error("cannot persist delivery; answering 503 so it is retried", "events", len(evs), "err", err)
		w.Header().Set("Retry-After", "30")
		h.reject(w, http.StatusServiceUnavailable, "persist", "cannot persist events")
		return
	}
	if h.o.Hooks.Acknowledged != nil {
		h.o.Hooks.Acknowledged(len(evs))
	}
	w.WriteHeader(http.StatusOK)
}
