package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callscope/callscope/recording/eventgrid"
	"github.com/callscope/callscope/recording/spool"
)

// SpoolDir is the folder under the data directory holding the spool.
const SpoolDir = "spool"

// ErrNoAuth is returned by NewServer when no authentication is configured
// and InsecureNoAuth is not set.
var ErrNoAuth = errors.New("no webhook authentication configured (set an event secret or Entra ID, or pass --insecure-no-auth)")

// ServerOptions configures a Server.
type ServerOptions struct {
	DataDir string `yaml:"-"`
	// MaxBodyBytes bounds a webhook delivery. Default eventgrid.DefaultMaxBodyBytes.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds draining in-flight work. Default 30 s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	Workers         WorkerOptions `yaml:"workers"`
	Spool           spool.Options `yaml:"spool"`

	Auth           eventgrid.Authenticator `yaml:"-"`
	InsecureNoAuth bool                    `yaml:"-"`
	// Callbacks, when set, is mounted at POST /api/callbacks.
	Callbacks  http.Handler          `yaml:"-"`
	Registerer prometheus.Registerer `yaml:"-"`
	Gatherer   prometheus.Gatherer   `yaml:"-"`
	Logger     *slog.Logger          `yaml:"-"`
}

// DefaultServerOptions returns the documented defaults.
func DefaultServerOptions() ServerOptions {
	return ServerOptions{MaxBodyBytes: eventgrid.DefaultMaxBodyBytes, ShutdownTimeout: 30 * time.Second,
		Workers: DefaultWorkerOptions(), Spool: spool.DefaultOptions()}
}

// Server is the ingest service: webhook → spool → workers → folders.
type Server struct {
	o        ServerOptions
	Spool    *spool.Spool
	Metrics  *Metrics
	workers  *Workers
	mux      *http.ServeMux
	log      *slog.Logger
	stopping atomic.Bool
	started  atomic.Bool
}

// NewServer opens the spool under o.DataDir and builds the service around
// p (whose Metrics and Logger it fills when nil).
func NewServer(o ServerOptions, p *Processor) (*Server, error) {
	if o.Auth == nil && !o.InsecureNoAuth {
		return nil, ErrNoAuth
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultServerOptions().ShutdownTimeout
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	so := o.Spool
	so.Logger = log
	sp, err := spool.Open(filepath.Join(o.DataDir, SpoolDir), so)
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	m := NewMetrics(o.Registerer, sp)
	if p.Metrics == nil {
		p.Metrics = m
	}
	if p.Logger == nil {
		p.Logger = log
	}
	s := &Server{o: o, Spool: sp, Metrics: m, log: log, mux: http.NewServeMux()}
	s.workers = &Workers{Spool: sp, Processor: p, Options: o.Workers, Logger: log, Metrics: m}
	sink := &Sink{Spool: sp, StorePlatform: p.OnEvent != nil, Logger: log, Metrics: m}
	eh := eventgrid.NewHandler(sink, eventgrid.HandlerOptions{
		MaxBodyBytes: o.MaxBodyBytes, Auth: o.Auth, Logger: log,
		Hooks: eventgrid.Hooks{
			Received:     func(n int) { m.EventsReceived.Add(float64(n)) },
			Acknowledged: func(n int) { m.EventsAcknowledged.Add(float64(n)) },
			Rejected:     func(r string) { m.DeliveriesRejected.WithLabelValues(r).Inc() },
		},
	})
	s.mux.Handle("/api/events", eh)
	if o.Callbacks != nil {
		s.mux.Handle("/api/callbacks", o.Callbacks)
	}
	if o.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if o.Auth == nil {
		log.Warn("webhook authentication is DISABLED (--insecure-no-auth)")
	}
	return s, nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.stopping.Load():
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	case !s.started.Load():
		http.Error(w, "starting", http.StatusServiceUnavailable)
	default:
		if err := s.Spool.Healthy(); err != nil {
			http.Error(w, "spool: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	}
}

// Handler returns the HTTP handler (webhook, callbacks, metrics, health).
func (s *Server) Handler() http.Handler { return s.mux }

// StartWorkers starts the download workers (Serve does it too).
func (s *Server) StartWorkers() {
	if s.started.CompareAndSwap(false, true) {
		s.workers.Start()
	}
}

// Serve serves HTTP on ln (nil: no listener, workers only) until ctx ends,
// then shuts down gracefully: stop accepting, finish in-flight requests
// and downloads within ShutdownTimeout, close the spool.
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	s.StartWorkers()
	var hs *http.Server
	errc := make(chan error, 1)
	if ln != nil {
		hs = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
			WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
		go func() {
			var err error
			if certFile != "" {
				err = hs.ServeTLS(ln, certFile, keyFile)
			} else {
				err = hs.Serve(ln)
			}
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			errc <- err
		}()
		s.log.Info("ingest listening", "addr", ln.Addr().String(), "tls", certFile != "")
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	return errors.Join(serveErr, s.Shutdown(hs))
}

// Shutdown drains and closes the server (hs may be nil).
func (s *Server) Shutdown(hs *http.Server) error {
	s.stopping.Store(true)
	s.log.Info("ingest shutting down", "deadline", s.o.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	var errs []error
	if hs != nil {
		if err := hs.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if s.started.Load() {
		if err := s.workers.Shutdown(ctx); err != nil {
			s.log.Warn("in-flight downloads cancelled at the shutdown deadline; they resume on restart")
		}
	}
	if err := s.Spool.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close spool: %w", err))
	}
	return errors.Join(errs...)
}

// SpoolDir returns the spool directory.
func (s *Server) SpoolDir() string { return filepath.Join(s.o.DataDir, SpoolDir) }
