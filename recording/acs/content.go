package acs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Recording content (audio, metadata) lives in ACS-managed storage at the
// contentLocation / metadataLocation URLs of a RecordingFileStatusUpdated
// event. A ContentDownloader fetches them with the resource's access key:
// HMAC-signed against the ACS resource host (sent as x-ms-host) while the
// request goes to the storage host, redirects followed by hand after the
// new host passed the allow-list (so the key is never sent anywhere else),
// ranged and resumable, size-checked, retried with backoff.

// DefaultContentHostSuffixes are the storage hosts the SDKs accept.
var DefaultContentHostSuffixes = []string{".asm.skype.com", ".asyncgw.teams.microsoft.com"}

// ContentOptions configures a ContentDownloader.
type ContentOptions struct {
	// AllowedHostSuffixes: a location's host must end with one of these
	// (each starting with "."). Default DefaultContentHostSuffixes.
	AllowedHostSuffixes []string `yaml:"allowed_host_suffixes"`
	// AllowedHosts are exact hosts (host or host:port) also accepted.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// AllowInsecureLoopback accepts http:// locations on loopback hosts.
	// For tests and local simulators only; every other location must be
	// https.
	AllowInsecureLoopback bool `yaml:"allow_insecure_loopback"`
	// MaxRedirects followed per request. Default 5.
	MaxRedirects int `yaml:"max_redirects"`
	// MaxAttempts per download without progress. Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// BaseDelay and MaxDelay bound the exponential backoff (with jitter).
	// Defaults 500 ms and 30 s.
	BaseDelay time.Duration `yaml:"base_delay"`
	MaxDelay  time.Duration `yaml:"max_delay"`
	// MaxRetryAfter caps a server's Retry-After. Default 5 minutes.
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
	// IdleTimeout aborts an attempt that receives no byte for this long.
	// Default 60 s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxBytes refuses larger content. Default 16 GiB.
	MaxBytes int64 `yaml:"max_bytes"`

	HTTPClient *http.Client     `yaml:"-"`
	Logger     *slog.Logger     `yaml:"-"`
	Now        func() time.Time `yaml:"-"`
	// Sleep waits between attempts (tests shorten it). Default: a timer
	// that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error `yaml:"-"`
}

// DefaultContentOptions returns the documented defaults.
func DefaultContentOptions() ContentOptions {
	return ContentOptions{
		AllowedHostSuffixes: DefaultContentHostSuffixes,
		MaxRedirects:        5,
		MaxAttempts:         8,
		BaseDelay:           500 * time.Millisecond,
		MaxDelay:            30 * time.Second,
		MaxRetryAfter:       5 * time.Minute,
		IdleTimeout:         60 * time.Second,
		MaxBytes:            16 << 30,
	}
}

func (o ContentOptions) withDefaults() ContentOptions {
	d := DefaultContentOptions()
	if o.AllowedHostSuffixes == nil {
		o.AllowedHostSuffixes = d.AllowedHostSuffixes
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = d.MaxRedirects
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = d.BaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = d.MaxDelay
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = d.MaxRetryAfter
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = d.IdleTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = d.MaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Content failure reasons (ContentError.Reason), also metric labels.
const (
	ReasonHostNotAllowed = "host_not_allowed"
	ReasonInsecure       = "insecure_scheme"
	ReasonBadURL         = "bad_url"
	ReasonHTTP           = "http_status"
	ReasonThrottled      = "throttled"
	ReasonServer         = "server_error"
	ReasonEmpty          = "empty_body"
	ReasonHTML           = "html_body"
	ReasonSize           = "size_mismatch"
	ReasonTooLarge       = "too_large"
	ReasonRedirects      = "too_many_redirects"
	ReasonNetwork        = "network"
	ReasonIdle           = "idle_timeout"
	ReasonLocal          = "local_io"
)

// ErrHostNotAllowed is wrapped by the error for a location (or redirect
// target) outside the allow-list; nothing was sent to it.
var ErrHostNotAllowed = errors.New("content host not on the allow-list")

// ContentError is a failed content request.
type ContentError struct {
	Op        string // "download" or "delete"
	Location  string // scheme://host/path, no query
	Status    int    // HTTP status, 0 when none
	Reason    string
	Retryable bool
	Attempts  int
	Err       error
}

func (e *ContentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", e.Op, e.Location, e.Reason)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *ContentError) Unwrap() error { return e.Err }

// redact keeps scheme, host and path of a location (the query could hold
// a signature).
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// ContentDownloader downloads and deletes recording content. It is safe
// for concurrent use.
type ContentDownloader struct {
	signer  *HMACSigner
	acsHost string
	o       ContentOptions
	client  *http.Client
	rndMu   sync.Mutex
	rnd     *rand.Rand
}

// NewContentDownloader returns a downloader signing with the access key of
// the ACS resource at endpoint.
func NewContentDownloader(endpoint *url.URL, accessKey string, o ContentOptions) (*ContentDownloader, error) {
	if endpoint == nil || endpoint.Host == "" {
		return nil, errors.New("content downloader: no ACS endpoint")
	}
	s, err := NewHMACSigner(accessKey)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	base := o.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &ContentDownloader{
		signer:  s,
		acsHost: canonicalHost(endpoint.Scheme, endpoint.Host),
		o:       o,
		client:  &c,
		rnd:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed)),
	}, nil
}

// CheckLocation parses a location and checks it against the allow-list.
func (d *ContentDownloader) CheckLocation(loc string) (*url.URL, error) {
	u, err := url.Parse(loc)
	if err != nil || u.Host == "" || len(loc) > 4096 {
		return nil, &ContentError{Op: "check", Location: truncate(loc, 200), Reason: ReasonBadURL, Err: err}
	}
	if err := d.allowed(u); err != nil {
		return nil, err
	}
	return u, nil
}

func (d *ContentDownloader) allowed(u *url.URL) error {
	host := strings.ToLower(u.Hostname())
	switch {
	case u.User != nil:
		return &ContentError{Op: "check", Location: redact(u), Reason: ReasonBadURL, Err: errors.New("user info in URL")}
	case strings.EqualFold(u.Scheme, "https"):
	case strings.EqualFold(u.Scheme, "http") && d.o.AllowInsecureLoopback && IsLoopback(host):
	default:
		return &ContentError{Op: "check", Location: redact(u), Reason: ReasonInsecure, Err: ErrHostNotAllowed}
	}
	for _, h := range d.o.AllowedHosts {
		if strings.EqualFold(h, u.Host) || strings.EqualFold(h, host) {
			return nil
		}
	}
	for _, s := range d.o.AllowedHostSuffixes {
		s = strings.ToLower(s)
		if !strings.HasPrefix(s, ".") {
			s = "." + s
		}
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return nil
		}
	}
	return &ContentError{Op: "check", Location: redact(u), Reason: ReasonHostNotAllowed, Err: ErrHostNotAllowed}
}

// backoff returns the wait before attempt n (1-based retry number).
func (d *ContentDownloader) backoff(n int, retryAfter time.Duration) time.Duration {
	w := d.o.BaseDelay
	for i := 1; i < n && w < d.o.MaxDelay; i++ {
		w *= 2
	}
	w = min(w, d.o.MaxDelay)
	d.rndMu.Lock()
	j := time.Duration(d.rnd.Int64N(int64(w)/2 + 1))
	d.rndMu.Unlock()
	w = w/2 + j
	if retryAfter > w {
		w = min(retryAfter, d.o.MaxRetryAfter)
	}
	return w
}

func parseRetryAfterHeader(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// attemptResult is the outcome of one request chain.
type attemptResult struct {
	written    int64 // bytes appended at the offset
	total      int64 // total size when known, else -1
	restarted  bool  // the server ignored Range: the file was truncated
	retryAfter time.Duration
}

// DownloadFile downloads location into path. An existing path is taken as
// a partial download and resumed from its size. On success the file is
// fsynced and holds exactly the content; its size is returned.
func (d *ContentDownloader) DownloadFile(ctx context.Context, location, path string) (int64, error) {
	u, err := d.CheckLocation(location)
	if err != nil {
		return 0, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return 0, &ContentError{Op: "download", Location: redact(u), Reason: ReasonLocal, Err: err}
	}
	defer f.Close()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, &ContentError{Op: "download", Location: redact(u), Reason: ReasonLocal, Err: err}
	}
	total := int64(-1)
	attempts, sinceProgress := 0, 0
	for {
		attempts++
		sinceProgress++
		res, err := d.fetch(ctx, u, f, off)
		// The file position is the truth: it counts every byte written,
		// also by an attempt that failed half-way.
		pos, serr := f.Seek(0, io.SeekCurrent)
		if serr != nil {
			return off, &ContentError{Op: "download", Location: redact(u), Reason: ReasonLocal, Err: serr}
		}
		if pos > off || res.restarted {
			res.written = pos - off
			if res.restarted {
				res.written = pos
			}
		}
		off = pos
		if res.total >= 0 {
			total = res.total
		}
		if res.written > 0 {
			sinceProgress = 0
		}
		if err == nil {
			switch {
			case total >= 0 && off != total:
				err = &ContentError{Op: "download", Location: redact(u), Reason: ReasonSize, Retryable: true,
					Err: fmt.Errorf("have %d bytes, server announced %d", off, total)}
			case off == 0:
				err = &ContentError{Op: "download", Location: redact(u), Reason: ReasonEmpty, Retryable: true}
			default:
				if err := f.Sync(); err != nil {
					return off, &ContentError{Op: "download", Location: redact(u), Reason: ReasonLocal, Err: err}
				}
				return off, nil
			}
		}
		var ce *ContentError
		if !errors.As(err, &ce) {
			ce = &ContentError{Op: "download", Location: redact(u), Reason: ReasonNetwork, Retryable: true, Err: err}
		}
		ce.Attempts = attempts
		if ctx.Err() != nil {
			ce.Retryable = false
			ce.Err = errors.Join(ce.Err, ctx.Err())
			return off, ce
		}
		if !ce.Retryable || sinceProgress >= d.o.MaxAttempts || attempts >= 4*d.o.MaxAttempts {
			return off, ce
		}
		wait := d.backoff(sinceProgress, res.retryAfter)
		d.o.Logger.Warn("content download attempt failed; retrying", "location", redact(u), "reason", ce.Reason,
			"status", ce.Status, "attempt", attempts, "offset", off, "wait", wait)
		if err := d.o.Sleep(ctx, wait); err != nil {
			ce.Retryable = false
			ce.Err = errors.Join(ce.Err, err)
			return off, ce
		}
	}
}

// idleReader cancels its request when no byte arrives for idle.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
	fired *bool
	mu    *sync.Mutex
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.idle)
	}
	if err != nil && err != io.EOF {
		r.mu.Lock()
		if *r.fired {
			err = fmt.Errorf("no data for %s: %w", r.idle, err)
		}
		r.mu.Unlock()
	}
	return n, err
}

// fetch runs one request chain (following redirects) for the bytes from
// off and appends them to f.
func (d *ContentDownloader) fetch(ctx context.Context, u *url.URL, f *os.File, off int64) (attemptResult, error) {
	res := attemptResult{total: -1}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	fired := false
	timer := time.AfterFunc(d.o.IdleTimeout, func() {
		mu.Lock()
		fired = true
		mu.Unlock()
		cancel()
	})
	defer timer.Stop()
	fail := func(reason string, status int, retry bool, err error) (attemptResult, error) {
		return res, &ContentError{Op: "download", Location: redact(u), Status: status, Reason: reason, Retryable: retry, Err: err}
	}
	for hop := 0; ; hop++ {
		if hop > d.o.MaxRedirects {
			return fail(ReasonRedirects, 0, false, fmt.Errorf("more than %d redirects", d.o.MaxRedirects))
		}
		if err := d.allowed(u); err != nil {
			return res, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return fail(ReasonBadURL, 0, false, err)
		}
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
		if err := d.signer.Sign(req, nil, d.acsHost, d.o.Now()); err != nil {
			return fail(ReasonLocal, 0, false, err)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			mu.Lock()
			idle := fired
			mu.Unlock()
			if idle {
				return fail(ReasonIdle, 0, true, err)
			}
			return fail(ReasonNetwork, 0, true, err)
		}
		res.retryAfter = parseRetryAfterHeader(resp.Header.Get("Retry-After"), d.o.Now())
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc := resp.Header.Get("Location")
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			next, err := u.Parse(loc)
			if loc == "" || err != nil {
				return fail(ReasonBadURL, resp.StatusCode, false, fmt.Errorf("redirect without a usable Location"))
			}
			d.o.Logger.Debug("content redirect", "from", redact(u), "to", redact(next))
			u = next
			continue
		}
		defer resp.Body.Close()
		body := &idleReader{r: resp.Body, timer: timer, idle: d.o.IdleTimeout, fired: &fired, mu: &mu}
		return d.receive(resp, body, f, off, res, fail)
	}
}

func (d *ContentDownloader) receive(resp *http.Response, body io.Reader, f *os.File, off int64, res attemptResult,
	failOuter func(string, int, bool, error) (attemptResult, error)) (attemptResult, error) {
	fail := func(reason string, status int, retry bool, err error) (attemptResult, error) {
		_, e := failOuter(reason, status, retry, err)
		return res, e
	}
	st := resp.StatusCode
	switch {
	case st == http.StatusOK:
		res.total = resp.ContentLength
		if off > 0 {
			// The server ignored Range: start over.
			if err := f.Truncate(0); err != nil {
				return fail(ReasonLocal, st, false, err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return fail(ReasonLocal, st, false, err)
			}
			res.restarted, off = true, 0
		}
	case st == http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return fail(ReasonSize, st, true, err)
		}
		if start != off {
			return fail(ReasonSize, st, true, fmt.Errorf("asked for bytes from %d, got a range starting at %d", off, start))
		}
		res.total = total
	case st == http.StatusRequestedRangeNotSatisfiable && off > 0:
		// Already complete? "Content-Range: bytes */<total>".
		if _, total, err := parseContentRange(resp.Header.Get("Content-Range")); err == nil && total == off {
			res.total = total
			return res, nil
		}
		return fail(ReasonSize, st, true, errors.New("range not satisfiable"))
	case st == http.StatusTooManyRequests:
		return fail(ReasonThrottled, st, true, nil)
	case st == http.StatusRequestTimeout || st >= 500:
		return fail(ReasonServer, st, true, nil)
	default:
		head, _ := io.ReadAll(io.LimitReader(body, 512))
		if isHTML(resp.Header.Get("Content-Type"), head) {
			// Intermittent 400s with an HTML page were reported
			// (azure-sdk-for-js#33764): retry them.
			return fail(ReasonHTML, st, true, nil)
		}
		return fail(ReasonHTTP, st, false, fmt.Errorf("%s", excerptContent(head)))
	}
	if res.total > d.o.MaxBytes {
		return fail(ReasonTooLarge, st, false, fmt.Errorf("%d bytes, limit %d", res.total, d.o.MaxBytes))
	}
	// Sniff the start of the body for an HTML error page served as 200.
	var head [512]byte
	n, err := io.ReadFull(body, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fail(ReasonNetwork, st, true, err)
	}
	if off == 0 && isHTML(resp.Header.Get("Content-Type"), head[:n]) {
		return fail(ReasonHTML, st, true, nil)
	}
	if n == 0 && off == 0 {
		return fail(ReasonEmpty, st, true, nil)
	}
	if _, err := f.Write(head[:n]); err != nil {
		return fail(ReasonLocal, st, false, err)
	}
	res.written = int64(n)
	limit := d.o.MaxBytes - off - int64(n) + 1
	w, err := io.Copy(f, io.LimitReader(body, limit))
	res.written += w
	if off+res.written > d.o.MaxBytes {
		return fail(ReasonTooLarge, st, false, fmt.Errorf("more than %d bytes", d.o.MaxBytes))
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fail(ReasonLocal, st, false, err)
		}
		if strings.Contains(err.Error(), "no data for") {
			return fail(ReasonIdle, st, true, err)
		}
		return fail(ReasonNetwork, st, true, err)
	}
	return res, nil
}

func isHTML(contentType string, head []byte) bool {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "text/html") {
		return true
	}
	h := bytes.ToLower(bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf"))
	return bytes.HasPrefix(h, []byte("<!doctype")) || bytes.HasPrefix(h, []byte("<html"))
}

func excerptContent(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// parseContentRange parses "bytes a-b/total" or "bytes */total"; total is
// -1 for "*".
func parseContentRange(v string) (start, total int64, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", truncate(v, 80))
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", truncate(v, 80))
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, fmt.Errorf("bad Content-Range total %q", truncate(tot, 40))
		}
	}
	if rng == "*" {
		return 0, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", truncate(v, 80))
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start || (total >= 0 && end >= total) {
		return 0, 0, fmt.Errorf("bad Content-Range %q", truncate(v, 80))
	}
	return start, total, nil
}

// Delete deletes recording content at deleteLocation (same signing and
// allow-list as downloads). Already deleted (404) counts as success.
func (d *ContentDownloader) Delete(ctx context.Context, location string) error {
	u, err := d.CheckLocation(location)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u.String(), nil)
		if err != nil {
			return &ContentError{Op: "delete", Location: redact(u), Reason: ReasonBadURL, Err: err}
		}
		if err := d.signer.Sign(req, nil, d.acsHost, d.o.Now()); err != nil {
			return &ContentError{Op: "delete", Location: redact(u), Reason: ReasonLocal, Err: err}
		}
		resp, err := d.client.Do(req)
		var ce *ContentError
		if err != nil {
			ce = &ContentError{Op: "delete", Location: redact(u), Reason: ReasonNetwork, Retryable: true, Err: err}
		} else {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			switch st := resp.StatusCode; {
			case st == 200 || st == 202 || st == 204 || st == 404:
				return nil
			case st == 429:
				ce = &ContentError{Op: "delete", Location: redact(u), Status: st, Reason: ReasonThrottled, Retryable: true}
			case st >= 500 || st == 408:
				ce = &ContentError{Op: "delete", Location: redact(u), Status: st, Reason: ReasonServer, Retryable: true}
			default:
				return &ContentError{Op: "delete", Location: redact(u), Status: st, Reason: ReasonHTTP, Attempts: attempt}
			}
		}
		ce.Attempts = attempt
		if !ce.Retryable || attempt >= d.o.MaxAttempts || ctx.Err() != nil {
			return ce
		}
		ra := time.Duration(0)
		if resp != nil {
			ra = parseRetryAfterHeader(resp.Header.Get("Retry-After"), d.o.Now())
		}
		if err := d.o.Sleep(ctx, d.backoff(attempt, ra)); err != nil {
			return ce
		}
	}
}
