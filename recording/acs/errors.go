package acs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinels matched with errors.Is on a *ResponseError.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrBadRequest   = errors.New("bad request")
	ErrConflict     = errors.New("conflict")
	ErrThrottled    = errors.New("throttled")
	ErrServer       = errors.New("server error")
)

// ResponseError is a non-success answer of the service. Code and Message
// come from a CommunicationErrorResponse body when there is one; bodies that
// are empty, HTML or otherwise not that JSON leave them empty and keep a
// short, printable excerpt in Body.
type ResponseError struct {
	Op         string // "start recording", "pause recording", ...
	StatusCode int
	Code       string
	Message    string
	Target     string
	Body       string // excerpt of a body that was not a CommunicationErrorResponse
	ResponseInfo
	RetryAfter time.Duration // from Retry-After, 0 when absent
	Attempts   int           // how many attempts were made
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "acs %s: HTTP %d", e.Op, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Body != "" {
		fmt.Fprintf(&b, ": body %q", e.Body)
	}
	if e.ChainID != "" {
		fmt.Fprintf(&b, " (chain id %s)", e.ChainID)
	}
	if e.AzureRef != "" {
		fmt.Fprintf(&b, " (x-azure-ref %s)", e.AzureRef)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Is maps the status to the sentinels above.
func (e *ResponseError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrThrottled:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// newResponseError decodes an error response leniently.
func newResponseError(op string, status int, h http.Header, body []byte) *ResponseError {
	e := &ResponseError{Op: op, StatusCode: status, ResponseInfo: responseInfo(h), RetryAfter: parseRetryAfter(h.Get("Retry-After"), time.Now())}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var ce struct {
			Error *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Target  string `json:"target"`
			} `json:"error"`
			// The storage endpoints answer {"title":…,"status":…,"message":…}.
			Title   string `json:"title"`
			Message string `json:"message"`
		}
		if json.Unmarshal(trimmed, &ce) == nil {
			switch {
			case ce.Error != nil && (ce.Error.Code != "" || ce.Error.Message != ""):
				e.Code, e.Message, e.Target = ce.Error.Code, ce.Error.Message, ce.Error.Target
				return e
			case ce.Message != "" || ce.Title != "":
				e.Code, e.Message = ce.Title, ce.Message
				return e
			}
		}
	}
	e.Body = excerpt(trimmed, 200)
	return e
}

// excerpt returns at most n bytes of b as valid UTF-8 with control
// characters replaced.
func excerpt(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' {
			return ' '
		}
		return r
	}, s)
}

func responseInfo(h http.Header) ResponseInfo {
	return ResponseInfo{
		ChainID:  headerValue(h, "X-Microsoft-Skype-Chain-ID"),
		AzureRef: headerValue(h, "X-Azure-Ref"),
	}
}

// headerValue returns a header value bounded to 256 printable bytes.
func headerValue(h http.Header, name string) string {
	v := h.Get(name)
	if len(v) > 256 {
		v = v[:256]
	}
	return excerpt([]byte(v), 256)
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; it caps the
// result at an hour and returns 0 when absent or unparseable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d
}
