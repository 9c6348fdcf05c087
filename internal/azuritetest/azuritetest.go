// Package azuritetest starts Azurite, the Azure Storage emulator, for tests:
// the Blob and Queue services on free 127.0.0.1 ports, in-memory, stopped by
// its own process group when the test ends.
//
// The binary comes from the repository's tools/azurite (installed by
// scripts/setup.sh with `npm ci`) or from $AZURITE_BIN. When neither is
// present a test is skipped with the reason, except under CI=true, where a
// missing Azurite fails the test: CI must prove the real component runs.
// $AZURE_STORAGE_CONNECTION_STRING, when set, points the tests at an
// already-running emulator instead.
package azuritetest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Well-known development account of Azurite.
const (
	AccountName = "devstoreaccount1"
	AccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// StartTimeout bounds how long Start waits for both ports to accept.
const StartTimeout = 30 * time.Second

// ErrNotInstalled is returned by StartProcess when no Azurite binary is found.
var ErrNotInstalled = errors.New("azurite is not installed: run scripts/setup.sh (npm ci in tools/azurite) or set AZURITE_BIN")

// Server is a running Azurite.
type Server struct {
	BlobURL  string // http://127.0.0.1:PORT/devstoreaccount1
	QueueURL string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	mu       sync.Mutex
	stopped  bool
	waitc    chan error
}

// ConnectionString returns the connection string for both services.
func (s *Server) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;QueueEndpoint=%s;",
		AccountName, AccountKey, s.BlobURL, s.QueueURL)
}

// Start starts Azurite for one test (or benchmark) and stops it at cleanup.
// It skips the test when Azurite is not installed, unless CI=true.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if cs := os.Getenv("AZURE_STORAGE_CONNECTION_STRING"); cs != "" {
		s, err := FromConnectionString(cs)
		if err != nil {
			tb.Fatalf("AZURE_STORAGE_CONNECTION_STRING: %v", err)
		}
		return s
	}
	s, err := StartProcess()
	if errors.Is(err, ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true and %v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
	if err != nil {
		tb.Fatalf("start azurite: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Logf("stop azurite: %v", err)
		}
	})
	return s
}

// FromConnectionString describes an emulator that is already running.
func FromConnectionString(cs string) (*Server, error) {
	s := &Server{stopped: true}
	for _, kv := range strings.Split(cs, ";") {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "blobendpoint":
			s.BlobURL = strings.TrimSuffix(v, "/")
		case "queueendpoint":
			s.QueueURL = strings.TrimSuffix(v, "/")
		}
	}
	if s.BlobURL == "" {
		return nil, errors.New("connection string has no BlobEndpoint")
	}
	return s, nil
}

// Binary returns the Azurite executable to run.
func Binary() (string, error) {
	if b := os.Getenv("AZURITE_BIN"); b != "" {
		return b, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "tools", "azurite", "node_modules", ".bin", "azurite")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return "", ErrNotInstalled
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotInstalled
		}
		dir = parent
	}
}

// StartProcess starts Azurite (Blob and Queue; Table on a third port, unused)
// and waits until the Blob and Queue ports accept connections. The caller
// must Stop it; TestMain functions use this form.
func StartProcess() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, fmt.Errorf("pick ports: %w", err)
	}
	tmp, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		BlobURL:  fmt.Sprintf("http://127.0.0.1:%d/%s", ports[0], AccountName),
		QueueURL: fmt.Sprintf("http://127.0.0.1:%d/%s", ports[1], AccountName),
		log:      &bytes.Buffer{},
	}
	s.cmd = exec.Command(bin,
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(ports[0]),
		"--queueHost", "127.0.0.1", "--queuePort", fmt.Sprint(ports[1]),
		"--tableHost", "127.0.0.1", "--tablePort", fmt.Sprint(ports[2]),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--loose",
		"--disableProductStyleUrl", "--disableTelemetry", "--silent")
	s.cmd.Dir = tmp
	s.cmd.Stdout = &lockedWriter{mu: &s.mu, w: s.log}
	s.cmd.Stderr = s.cmd.Stdout
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait(); os.RemoveAll(tmp) }()
	deadline := time.Now().Add(StartTimeout)
	for _, p := range ports[:2] {
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-exited:
				return nil, fmt.Errorf("azurite exited before listening (%v): %s", err, s.Log())
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				s.kill(exited)
				return nil, fmt.Errorf("azurite did not listen on port %d within %s: %s", p, StartTimeout, s.Log())
			}
		}
	}
	s.waitc = exited
	return s, nil
}

// Log returns what Azurite printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// Stop terminates Azurite: SIGTERM to its process group, SIGKILL after 3 s.
// Stop is idempotent.
func (s *Server) Stop() error {
	s.mu.Lock()
	if s.stopped || s.cmd == nil {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()
	return s.kill(s.waitc)
}

func (s *Server) kill(exited chan error) error {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
		return nil
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 1<<20 { // keep the log bounded
		return len(p), nil
	}
	return l.w.Write(p)
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
