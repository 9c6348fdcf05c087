package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/ingest"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/blob"
	"github.com/callscope/callscope/recording/eventgrid"
)

// EnvEventSecret holds the webhook shared secret(s), comma-separated (two
// during a rotation).
const EnvEventSecret = "CALLSCOPE_EVENT_SECRET"

// fileConfig is the "ingest" section of the YAML configuration.
type fileConfig struct {
	Listen  string                 `yaml:"listen"`
	Server  ingest.ServerOptions   `yaml:"server"`
	Content acs.ContentOptions     `yaml:"content"`
	Blob    blob.Options           `yaml:"blob"`
	Entra   eventgrid.EntraOptions `yaml:"entra"`
	Queue   ingest.QueueOptions    `yaml:"queue"`
}

func defaultFileConfig() fileConfig {
	return fileConfig{Listen: ":8080", Server: ingest.DefaultServerOptions(), Content: acs.DefaultContentOptions(),
		Blob: blob.DefaultOptions(), Queue: ingest.DefaultQueueOptions()}
}

// callbackMount, when set (by the recording-control code of this command),
// builds the handler mounted at /api/callbacks.
var callbackMount func(ctx context.Context, g *cli.Globals) (http.Handler, error)

// sourceFlags are the flags that say where recordings come from.
type sourceFlags struct {
	acsConn       string
	contentHosts  []string
	insecureLoop  bool
	blobContainer string
	deleteAfter   bool
	analyze       bool
	workers       int
}

func (f *sourceFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.acsConn, "acs-connection-string", "", "ACS resource connection string for content downloads (default $"+acs.EnvConnectionString+")")
	fl.StringArrayVar(&f.contentHosts, "content-allow-host", nil, "extra exact content host[:port] allowed besides *.asm.skype.com (repeatable)")
	fl.BoolVar(&f.insecureLoop, "content-allow-insecure-loopback", false, "TEST ONLY: allow http:// content locations on loopback hosts")
	fl.StringVar(&f.blobContainer, "blob-container", "", "bring-your-own-storage container URL; chunks located there are read with azblob (key from $"+blob.EnvConnectionString+", a SAS in the URL, or the default Azure credential)")
	fl.BoolVar(&f.deleteAfter, "delete-after-download", false, "delete ACS-managed content once it is verified on disk")
	fl.BoolVar(&f.analyze, "analyze", false, "analyze each recording in-process when it is complete (dataset under --data)")
	fl.IntVar(&f.workers, "workers", 0, "concurrent recording downloads (default 4)")
}

// buildProcessor makes the Processor from flags and configuration.
func buildProcessor(ctx context.Context, g *cli.Globals, f *sourceFlags, cfg *fileConfig) (*ingest.Processor, error) {
	p := &ingest.Processor{DataDir: g.Data, DeleteAfterDownload: f.deleteAfter, Logger: g.Logger}
	conn := f.acsConn
	if conn == "" {
		conn = os.Getenv(acs.EnvConnectionString)
	}
	if conn != "" {
		cs, err := acs.ParseConnectionString(conn)
		if err != nil {
			return nil, cli.Usagef("--acs-connection-string: %v", err)
		}
		co := cfg.Content
		co.AllowedHosts = append(co.AllowedHosts, f.contentHosts...)
		co.AllowInsecureLoopback = co.AllowInsecureLoopback || f.insecureLoop
		co.Logger = g.Logger
		p.ACS, err = acs.NewContentDownloader(cs.Endpoint, cs.AccessKey, co)
		if err != nil {
			return nil, cli.Usagef("content downloader: %v", err)
		}
	} else {
		g.Logger.Warn("no ACS connection string: chunks in ACS-managed storage will fail (set $" + acs.EnvConnectionString + ")")
	}
	if f.blobContainer != "" || cfg.Blob.ContainerURL != "" {
		bo := cfg.Blob
		if f.blobContainer != "" {
			bo.ContainerURL = f.blobContainer
		}
		bo.ConnectionString = os.Getenv(blob.EnvConnectionString)
		bo.Logger = g.Logger
		c, err := blob.New(bo)
		if err != nil {
			return nil, cli.Usagef("--blob-container: %v", err)
		}
		p.Blob = c
	}
	if f.analyze {
		hook, err := analyzeHook(g)
		if err != nil {
			return nil, err
		}
		p.OnComplete = hook
	}
	return p, nil
}

func loadConfig(g *cli.Globals) (*fileConfig, error) {
	cfg := defaultFileConfig()
	if err := g.Cfg.Decode("ingest", &cfg); err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	return &cfg, nil
}

func newServeCmd(g *cli.Globals) *cobra.Command {
	var (
		src            sourceFlags
		listen         string
		metricsListen  string
		secrets        []string
		entraDiscovery string
		entraIssuer    string
		entraJWKS      string
		entraAudiences []string
		insecureNoAuth bool
		maxBody        int64
		queueURL       string
		poisonAfter    int
		tlsCert        string
		tlsKey         string
		shutdown       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive Event Grid deliveries (webhook and/or Storage Queue) and download recordings",
		Long: `serve runs the ingest service: POST /api/events accepts Event Grid and
CloudEvents deliveries (both subscription handshakes included), stores them
durably in the spool under --data before answering 200, and workers download
every recording into --data/recordings/<id>/. /metrics, /healthz and /readyz
are served beside it. With --queue it also (or, with --listen "", only)
consumes Event Grid events from an Azure Storage Queue.

Authentication is required: a shared secret (--event-secret or $` + EnvEventSecret + `,
sent by Event Grid as the "code" query parameter or an X-Callscope-Secret
header; give two during a rotation) and/or Entra ID bearer tokens
(--entra-discovery-url, --entra-audience).`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := loadConfig(g)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("listen") && cfg.Listen != "" {
				listen = cfg.Listen
			}
			if env := os.Getenv(EnvEventSecret); env != "" && len(secrets) == 0 {
				secrets = strings.Split(env, ",")
			}
			if len(secrets) > 2 {
				return cli.Usagef("at most two event secrets (current and next)")
			}
			auth := eventgrid.AnyAuth{Secret: eventgrid.NewSecretAuth(secrets...)}
			eo := cfg.Entra
			if entraDiscovery != "" {
				eo.DiscoveryURL = entraDiscovery
			}
			if entraIssuer != "" {
				eo.Issuer = entraIssuer
			}
			if entraJWKS != "" {
				eo.JWKSURL = entraJWKS
			}
			if len(entraAudiences) > 0 {
				eo.Audiences = entraAudiences
			}
			if eo.DiscoveryURL != "" || eo.JWKSURL != "" || len(eo.Audiences) > 0 {
				a, err := eventgrid.NewEntraAuth(ctx, eo)
				if err != nil {
					return cli.Usagef("entra: %v", err)
				}
				auth.Entra = a
			}
			so := cfg.Server
			so.DataDir = g.Data
			so.Logger = g.Logger
			so.InsecureNoAuth = insecureNoAuth
			if auth.Secret != nil || auth.Entra != nil {
				so.Auth = auth
			} else if !insecureNoAuth && listen != "" {
				return &cli.UsageError{Err: ingest.ErrNoAuth}
			} else {
				so.InsecureNoAuth = true
			}
			if maxBody > 0 {
				so.MaxBodyBytes = maxBody
			}
			if src.workers > 0 {
				so.Workers.Workers = src.workers
			}
			if shutdown > 0 {
				so.ShutdownTimeout = shutdown
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			so.Registerer, so.Gatherer = reg, reg
			if callbackMount != nil {
				h, err := callbackMount(ctx, g)
				if err != nil {
					return err
				}
				defer closeRecordingControl()
				so.Callbacks = h
			}
			p, err := buildProcessor(ctx, g, &src, cfg)
			if err != nil {
				return err
			}
			if recordingController != nil {
				p.OnEvent = platformEvent // platform events feed the recording rules
			}
			srv, err := ingest.NewServer(so, p)
			if err != nil {
				return err
			}
			var ln net.Listener
			if listen != "" {
				ln, err = net.Listen("tcp", listen)
				if err != nil {
					srv.Shutdown(nil)
					return fmt.Errorf("listen %s: %w", listen, err)
				}
			}
			eg, ectx := errgroup.WithContext(ctx)
			if queueURL != "" {
				qo := cfg.Queue
				if poisonAfter > 0 {
					qo.PoisonAfter = poisonAfter
				}
				q, poison, err := ingest.NewQueueClients(ctx, queueURL, os.Getenv(blob.EnvConnectionString), qo.PoisonQueue)
				if err != nil {
					if ln != nil {
						ln.Close()
					}
					srv.Shutdown(nil)
					return cli.Usagef("--queue: %v", err)
				}
				qc := &ingest.QueueConsumer{Queue: q, Poison: poison, Processor: p, Options: qo, Logger: g.Logger, Metrics: srv.Metrics}
				eg.Go(func() error { return qc.Run(ectx) })
				g.Logger.Info("consuming storage queue", "queue", redact(queueURL))
			}
			if metricsListen != "" {
				mln, err := net.Listen("tcp", metricsListen)
				if err != nil {
					if ln != nil {
						ln.Close()
					}
					srv.Shutdown(nil)
					return fmt.Errorf("listen %s (--metrics-listen): %w", metricsListen, err)
				}
				eg.Go(func() error { return serveOps(ectx, mln, srv.Handler()) })
				g.Logger.Info("operations endpoints", "listen", mln.Addr().String(), "paths", "/metrics /healthz /readyz")
			}
			eg.Go(func() error { return srv.Serve(ectx, ln, tlsCert, tlsKey) })
			err = eg.Wait()
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			return err
		},
	}
	src.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", ":8080", `webhook listen address ("" for queue-only)`)
	fl.StringVar(&metricsListen, "metrics-listen", "", "also serve /metrics, /healthz and /readyz (only those) on this address, e.g. 127.0.0.1:9090; useful in queue-only mode")
	fl.StringArrayVar(&secrets, "event-secret", nil, "shared secret Event Grid sends (repeat for a rotation; default $"+EnvEventSecret+")")
	fl.StringVar(&entraDiscovery, "entra-discovery-url", "", "OpenID discovery document of the Entra tenant validating bearer tokens")
	fl.StringVar(&entraIssuer, "entra-issuer", "", "override the issuer from discovery")
	fl.StringVar(&entraJWKS, "entra-jwks-url", "", "override the jwks_uri from discovery")
	fl.StringArrayVar(&entraAudiences, "entra-audience", nil, "accepted token audience (app ID or app ID URI; repeatable)")
	fl.BoolVar(&insecureNoAuth, "insecure-no-auth", false, "accept unauthenticated deliveries (local testing only)")
	fl.Int64Var(&maxBody, "max-body-bytes", 0, "largest delivery accepted (default 4 MiB)")
	fl.StringVar(&queueURL, "queue", "", "Azure Storage Queue URL receiving Event Grid events (key from $"+blob.EnvConnectionString+", a SAS, or the default Azure credential)")
	fl.IntVar(&poisonAfter, "poison-after", 0, "move a queue message to <queue>-poison after this many dequeues (default 5)")
	fl.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this certificate (Event Grid requires HTTPS; or terminate TLS in front)")
	fl.StringVar(&tlsKey, "tls-key", "", "private key for --tls-cert")
	fl.DurationVar(&shutdown, "shutdown-timeout", 0, "time to drain in-flight work on SIGTERM (default 30s)")
	return cmd
}

func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?REDACTED"
	}
	return u
}

// serveOps serves only the operations endpoints of h (/metrics, /healthz,
// /readyz) on ln until ctx ends; the event and callback endpoints are not
// reachable there.
func serveOps(ctx context.Context, ln net.Listener, h http.Handler) error {
	mux := http.NewServeMux()
	for _, p := range []string{"GET /metrics", "GET /healthz", "GET /readyz"} {
		mux.Handle(p, h)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve operations endpoints: %w", err)
	}
	return nil
}
