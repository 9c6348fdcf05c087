package acstest

import (
	"bytes"
	"net/http"
	"strings"
)

// unauthorizedBody is what ACS-managed storage answers to a bad signature.
const unauthorizedBody = `{"title":"Unauthorized","status":401,"instance":"/microsoft/ic3/ams///trace-id/00000000000000000000000000000000","message":"Unauthorized","traceId":"00000000000000000000000000000000"}`

// serveContent serves /v1/objects/{documentId}/content/{video|acsmetadata|deletedata}.
// Every request must be HMAC-signed against the resource host and carry it
// in x-ms-host. The first host redirects (302) to the second, which serves
// the bytes (Range → 206) as application/octet-stream.
func (s *Server) serveContent(w http.ResponseWriter, r *http.Request, first bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) != 5 || parts[0] != "v1" || parts[1] != "objects" || parts[3] != "content" {
		http.NotFound(w, r)
		return
	}
	docID, what := parts[2], parts[4]
	host := r.Header.Get("x-ms-host")
	if host != s.Host() || s.signer.Verify(r, nil, host, s.opts.Clock(), s.opts.MaxClockSkew) != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(unauthorizedBody))
		return
	}
	s.mu.Lock()
	obj := s.objects[docID]
	s.mu.Unlock()
	if obj == nil || obj.deleted {
		w.WriteHeader(http.StatusNotFound) // empty body, as observed
		return
	}
	if first && !s.opts.NoRedirect && r.Method == http.MethodGet {
		http.Redirect(w, r, s.storage2.URL+r.URL.RequestURI(), http.StatusFound)
		return
	}
	switch {
	case r.Method == http.MethodDelete && what == "deletedata":
		s.mu.Lock()
		obj.deleted = true
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && (what == "video" || what == "acsmetadata"):
		data := obj.audio
		if what == "acsmetadata" {
			data = obj.metadata
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", obj.modTime, bytes.NewReader(data))
	default:
		http.NotFound(w, r)
	}
}

// DeleteObject removes a stored chunk as if retention expired.
func (s *Server) DeleteObject(documentID string) {
	s.mu.Lock()
	if o := s.objects[documentID]; o != nil {
		o.deleted = true
	}
	s.mu.Unlock()
}
