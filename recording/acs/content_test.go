package acs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testACSHost     = "contoso.communication.azure.com"
	testAccessKey   = "cHctdGVzdC1rZXktZm9yLWNvbnRlbnQtZG93bmxvYWRz" // base64 of a test key
	frontHost       = "storage.asm.skype.test"
	backHost        = "eus.as.asm.skype.test"
	foreignHost     = "evil.example.net"
	testContentPath = "/v1/objects/0-eus-d12-abc/content/video"
)

// fault is what the back storage does to one request.
type fault struct {
	status      int    // non-2xx status to answer with
	retryAfter  string // Retry-After header
	contentType string
	body        string // body for status / html faults
	resetAfter  int    // send this many bytes then kill the connection
	truncate    int    // announce the full length, send this many bytes, end the response
	zero        bool   // 200 with an empty body
	stall       time.Duration
	ignoreRange bool
}

// storageFixture is ACS-managed storage as the downloader sees it: a front
// host that redirects every object to a back host, both over TLS, both
// verifying the HMAC signature (signed for the ACS host, carried in
// x-ms-host), the back host serving byte ranges.
type storageFixture struct {
	t       *testing.T
	signer  *HMACSigner
	front   *httptest.Server
	back    *httptest.Server
	foreign *httptest.Server
	client  *http.Client

	mu       sync.Mutex
	objects  map[string][]byte
	faults   []fault
	requests map[string]int // "host method path"
	ranges   []string
	deleted  map[string]bool
	badAuth  int
}

func newStorageFixture(t *testing.T) *storageFixture {
	t.Helper()
	s, err := NewHMACSigner(testAccessKey)
	if err != nil {
		t.Fatal(err)
	}
	fx := &storageFixture{t: t, signer: s, objects: map[string][]byte{}, requests: map[string]int{}, deleted: map[string]bool{}}
	fx.front = httptest.NewTLSServer(http.HandlerFunc(fx.serveFront))
	fx.back = httptest.NewTLSServer(http.HandlerFunc(fx.serveBack))
	fx.foreign = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fx.count(foreignHost, r)
		w.Write([]byte("stolen"))
	}))
	t.Cleanup(fx.front.Close)
	t.Cleanup(fx.back.Close)
	t.Cleanup(fx.foreign.Close)
	addrs := map[string]string{
		frontHost + ":443":   fx.front.Listener.Addr().String(),
		backHost + ":443":    fx.back.Listener.Addr().String(),
		foreignHost + ":443": fx.foreign.Listener.Addr().String(),
	}
	pool := x509.NewCertPool()
	pool.AddCert(fx.front.Certificate())
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			real, ok := addrs[addr]
			if !ok {
				return nil, fmt.Errorf("test dialer: unknown host %s", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, real)
		},
		// httptest's certificate is for example.com; names are mapped above.
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}
	fx.client = &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	return fx
}

func (fx *storageFixture) count(host string, r *http.Request) {
	fx.mu.Lock()
	fx.requests[host+" "+r.Method+" "+r.URL.Path]++
	fx.mu.Unlock()
}

func (fx *storageFixture) verify(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get(HeaderHost) != testACSHost {
		fx.mu.Lock()
		fx.badAuth++
		fx.mu.Unlock()
		http.Error(w, `{"title":"Unauthorized","status":401}`, http.StatusUnauthorized)
		return false
	}
	if err := fx.signer.Verify(r, nil, testACSHost, time.Now(), 5*time.Minute); err != nil {
		fx.mu.Lock()
		fx.badAuth++
		fx.mu.Unlock()
		http.Error(w, `{"title":"Unauthorized","status":401}`, http.StatusUnauthorized)
		return false
	}
	return true
}

func (fx *storageFixture) serveFront(w http.ResponseWriter, r *http.Request) {
	fx.count(frontHost, r)
	if !fx.verify(w, r) {
		return
	}
	if r.Method == http.MethodDelete {
		fx.mu.Lock()
		already := fx.deleted[r.URL.Path]
		fx.deleted[r.URL.Path] = true
		fx.mu.Unlock()
		if already {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Location", "https://"+backHost+r.URL.Path)
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(http.StatusFound)
}

func (fx *storageFixture) serveBack(w http.ResponseWriter, r *http.Request) {
	fx.count(backHost, r)
	if !fx.verify(w, r) {
		return
	}
	fx.mu.Lock()
	data, ok := fx.objects[r.URL.Path]
	var f fault
	if len(fx.faults) > 0 {
		f, fx.faults = fx.faults[0], fx.faults[1:]
	}
	fx.ranges = append(fx.ranges, r.Header.Get("Range"))
	fx.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if f.stall > 0 {
		time.Sleep(f.stall)
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	if f.contentType != "" {
		w.Header().Set("Content-Type", f.contentType)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		w.Write([]byte(f.body))
		return
	}
	if f.body != "" {
		w.Write([]byte(f.body))
		return
	}
	if f.zero {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	start := int64(0)
	if rg := r.Header.Get("Range"); rg != "" && !f.ignoreRange {
		v := strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-")
		start, _ = strconv.ParseInt(v, 10, 64)
		if start >= int64(len(data)) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)-int(start)))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
	}
	body := data[start:]
	switch {
	case f.resetAfter > 0:
		w.Write(body[:f.resetAfter])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*tls.Conn); ok {
				if nc, ok := tc.NetConn().(*net.TCPConn); ok {
					nc.SetLinger(0) // RST, not FIN
				}
			}
			conn.Close()
		}
	case f.truncate > 0:
		w.Write(body[:f.truncate])
	default:
		w.Write(body)
	}
}

func (fx *storageFixture) put(path string, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	fx.mu.Lock()
	fx.objects[path] = b
	fx.mu.Unlock()
	return b
}

func (fx *storageFixture) inject(fs ...fault) {
	fx.mu.Lock()
	fx.faults = append(fx.faults, fs...)
	fx.mu.Unlock()
}

type sleepLog struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (fx *storageFixture) downloader(t *testing.T, mod func(*ContentOptions)) (*ContentDownloader, *sleepLog) {
	sl := &sleepLog{}
	o := ContentOptions{
		AllowedHostSuffixes: []string{".asm.skype.test"},
		HTTPClient:          fx.client,
		IdleTimeout:         300 * time.Millisecond,
		MaxAttempts:         5,
		Sleep:               sl.sleep,
	}
	if mod != nil {
		mod(&o)
	}
	d, err := NewContentDownloader(&url.URL{Scheme: "https", Host: testACSHost}, testAccessKey, o)
	if err != nil {
		t.Fatal(err)
	}
	return d, sl
}

func TestContentDownloadFaults(t *testing.T) {
	const size = 300 << 10
	tests := []struct {
		name       string
		faults     []fault
		wantErr    string // reason; "" for success
		minSleep   time.Duration
		wantRanges int // minimum number of back-host requests
	}{
		{name: "clean", wantRanges: 1},
		{name: "503 burst with Retry-After", faults: []fault{{status: 503, retryAfter: "2"}, {status: 503, retryAfter: "2"}, {status: 500}}, minSleep: 2 * time.Second, wantRanges: 4},
		{name: "429 with http-date Retry-After", faults: []fault{{status: 429, retryAfter: time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)}}, minSleep: time.Second, wantRanges: 2},
		{name: "connection reset mid-body resumes", faults: []fault{{resetAfter: 100 << 10}, {resetAfter: 50 << 10}}, wantRanges: 3},
		{name: "truncated body resumes", faults: []fault{{truncate: 1000}}, wantRanges: 2},
		{name: "zero-byte body retried", faults: []fault{{zero: true}}, wantRanges: 2},
		{name: "html page retried", faults: []fault{{body: "<!DOCTYPE html><html><body>Error</body></html>", contentType: "text/html"}}, wantRanges: 2},
		{name: "html 400 retried", faults: []fault{{status: 400, body: "<!DOCTYPE html><p>bad</p>", contentType: "text/html"}}, wantRanges: 2},
		{name: "slow server times out and retries", faults: []fault{{stall: 800 * time.Millisecond}}, wantRanges: 2},
		{name: "server ignores range after reset", faults: []fault{{resetAfter: 4096}, {ignoreRange: true}}, wantRanges: 2},
		{name: "persistent 503 gives up", faults: []fault{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}}, wantErr: ReasonServer},
		{name: "persistent html gives up", faults: []fault{{zero: true}, {zero: true}, {zero: true}, {zero: true}, {zero: true}}, wantErr: ReasonEmpty},
		{name: "403 is final", faults: []fault{{status: 403, body: `{"title":"Forbidden"}`}}, wantErr: ReasonHTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newStorageFixture(t)
			want := fx.put(testContentPath, size)
			fx.inject(tt.faults...)
			d, sl := fx.downloader(t, nil)
			p := filepath.Join(t.TempDir(), "chunk.part")
			n, err := d.DownloadFile(context.Background(), "https://"+frontHost+testContentPath, p)
			if tt.wantErr != "" {
				var ce *ContentError
				if !errors.As(err, &ce) || ce.Reason != tt.wantErr {
					t.Fatalf("err = %v, want reason %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(p)
			if n != size || !bytes.Equal(got, want) {
				t.Fatalf("downloaded %d bytes (file %d), content equal=%v", n, len(got), bytes.Equal(got, want))
			}
			if fx.badAuth != 0 {
				t.Fatalf("%d requests failed signature verification", fx.badAuth)
			}
			if c := fx.requests[backHost+" GET "+testContentPath]; c < tt.wantRanges {
				t.Errorf("back host saw %d requests, want >= %d (ranges %v)", c, tt.wantRanges, fx.ranges)
			}
			if tt.minSleep > 0 {
				var max time.Duration
				for _, s := range sl.ds {
					max = maxDur(max, s)
				}
				if max < tt.minSleep {
					t.Errorf("slept at most %v, want >= %v (Retry-After honoured): %v", max, tt.minSleep, sl.ds)
				}
			}
		})
	}
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

func TestContentResumeAcrossCalls(t *testing.T) {
	fx := newStorageFixture(t)
	want := fx.put(testContentPath, 64<<10)
	d, _ := fx.downloader(t, nil)
	p := filepath.Join(t.TempDir(), "chunk.part")
	os.WriteFile(p, want[:10000], 0o640) // left by a crashed process
	if _, err := d.DownloadFile(context.Background(), "https://"+frontHost+testContentPath, p); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, want) {
		t.Fatal("resumed content differs")
	}
	if fx.ranges[0] != "bytes=10000-" {
		t.Fatalf("first range %q", fx.ranges[0])
	}
}

func TestContentRejectsForeignHosts(t *testing.T) {
	fx := newStorageFixture(t)
	fx.put(testContentPath, 1000)
	d, _ := fx.downloader(t, nil)
	dir := t.TempDir()
	for _, loc := range []string{
		"https://" + foreignHost + testContentPath,
		"http://" + frontHost + testContentPath,          // not https
		"https://user:pw@" + frontHost + testContentPath, // user info
		"https://asm.skype.test.evil.example.net/x",      // suffix trick
		"https://" + frontHost + ".evil.example.net/x",   // suffix trick
	} {
		_, err := d.DownloadFile(context.Background(), loc, filepath.Join(dir, "x"))
		var ce *ContentError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: err %v", loc, err)
		}
	}
	// A redirect to a foreign host is not followed.
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://"+foreignHost+"/steal")
		w.WriteHeader(http.StatusFound)
	}))
	defer evil.Close()
	fx.client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		m := map[string]string{frontHost + ":443": evil.Listener.Addr().String(), foreignHost + ":443": fx.foreign.Listener.Addr().String()}
		return (&net.Dialer{}).DialContext(ctx, network, m[addr])
	}
	_, err := d.DownloadFile(context.Background(), "https://"+frontHost+testContentPath, filepath.Join(dir, "y"))
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Fatalf("redirect to foreign host: %v", err)
	}
	if n := fx.requests[foreignHost+" GET /steal"]; n != 0 {
		t.Fatalf("foreign host received %d requests", n)
	}
}

func TestContentDelete(t *testing.T) {
	fx := newStorageFixture(t)
	d, _ := fx.downloader(t, nil)
	loc := "https://" + frontHost + "/v1/objects/0-eus-d12-abc/content/deletedata"
	for range 2 { // second time: 404, already deleted
		if err := d.Delete(context.Background(), loc); err != nil {
			t.Fatal(err)
		}
	}
	if fx.badAuth != 0 || fx.requests[frontHost+" DELETE /v1/objects/0-eus-d12-abc/content/deletedata"] != 2 {
		t.Fatalf("requests %v bad auth %d", fx.requests, fx.badAuth)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in           string
		start, total int64
		err          bool
	}{
		{"bytes 0-956/957", 0, 957, false},
		{"bytes 10-19/*", 10, -1, false},
		{"bytes */957", 0, 957, false},
		{"bytes 5-4/10", 0, 0, true},
		{"bytes 0-10/10", 0, 0, true},
		{"items 0-1/2", 0, 0, true},
		{"bytes 0-1", 0, 0, true},
		{"bytes -1-2/3", 0, 0, true},
	}
	for _, tt := range tests {
		s, tot, err := parseContentRange(tt.in)
		if (err != nil) != tt.err || (!tt.err && (s != tt.start || tot != tt.total)) {
			t.Errorf("%q: got %d %d %v", tt.in, s, tot, err)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-956/957", "bytes */1", "bytes 1-2/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, total, err := parseContentRange(s)
		if err == nil && (start < 0 || (total >= 0 && start >= total && !strings.Contains(s, "*/"))) {
			t.Fatalf("%q: start %d total %d", s, start, total)
		}
	})
}
