package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/recording/acs"
)

// acsFlags are the credentials and client settings shared by the acs and
// recording commands.
type acsFlags struct {
	connString string
	endpoint   string
	apiVersion string
}

func (f *acsFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.connString, "connection-string", "", "ACS connection string endpoint=https://…;accesskey=… (default $"+acs.EnvConnectionString+")")
	fl.StringVar(&f.endpoint, "endpoint", "", "ACS endpoint for Entra ID authentication (azidentity DefaultAzureCredential) when no connection string is given")
	fl.StringVar(&f.apiVersion, "api-version", acs.DefaultAPIVersion, "Call Automation api-version")
}

// connectionString returns the flag or the environment value.
func (f *acsFlags) connectionString() string {
	if f.connString != "" {
		return f.connString
	}
	return os.Getenv(acs.EnvConnectionString)
}

// client builds a REST client from the connection string, or from the
// endpoint and azidentity's default credential chain.
func (f *acsFlags) client(g *cli.Globals) (*acs.Client, error) {
	opts := acs.DefaultOptions()
	if err := g.Cfg.Decode("acs", &opts); err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	opts.APIVersion = f.apiVersion
	opts.Logger = g.Logger
	if cs := f.connectionString(); cs != "" {
		c, err := acs.NewClientFromConnectionString(cs, opts)
		if err != nil {
			return nil, &cli.UsageError{Err: err}
		}
		return c, nil
	}
	if f.endpoint == "" {
		return nil, cli.Usagef("need --connection-string, $%s or --endpoint (Entra ID)", acs.EnvConnectionString)
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("entra id credential: %w", err)
	}
	c, err := acs.NewTokenClient(f.endpoint, cred, opts)
	if err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	return c, nil
}

func newACSCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "acs", Short: "ACS helpers (request signing)"}
	cmd.AddCommand(newACSSignCmd(g))
	return cmd
}

func newACSSignCmd(g *cli.Globals) *cobra.Command {
	var (
		af         acsFlags
		method     string
		rawURL     string
		bodyFile   string
		date       string
		signedHost string
	)
	cmd := &cobra.Command{
		Use:   "sign --connection-string CS --method M --url U [--body FILE] [--date D] [--signed-host H]",
		Short: "Print the HMAC-SHA256 headers for a request, one 'Name: value' per line",
		Long: `Sign a request with the ACS access key the way the ACS data plane expects
(x-ms-date, x-ms-content-sha256, Authorization). --signed-host signs against
another host than the URL's (downloads are signed against the ACS resource
host and sent to the storage host with x-ms-host). --date takes an RFC 1123
date ("Wed, 13 Apr 2022 18:09:12 GMT") or RFC 3339; default now.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs := af.connectionString()
			if cs == "" {
				return cli.Usagef("need --connection-string or $%s", acs.EnvConnectionString)
			}
			p, err := acs.ParseConnectionString(cs)
			if err != nil {
				return &cli.UsageError{Err: err}
			}
			signer, err := acs.NewHMACSigner(p.AccessKey)
			if err != nil {
				return &cli.UsageError{Err: err}
			}
			u, err := url.Parse(rawURL)
			if err != nil || !u.IsAbs() || u.Host == "" {
				return cli.Usagef("--url %q: want an absolute URL", rawURL)
			}
			now := time.Now()
			if date != "" {
				if now, err = http.ParseTime(date); err != nil {
					if now, err = time.Parse(time.RFC3339, date); err != nil {
						return cli.Usagef("--date %q: want RFC 1123 or RFC 3339", date)
					}
				}
			}
			var body []byte
			if bodyFile != "" {
				if body, err = readLimited(bodyFile, 64<<20); err != nil {
					return err
				}
			}
			req, err := http.NewRequest(method, u.String(), nil)
			if err != nil {
				return cli.Usagef("--method %q: %v", method, err)
			}
			if err := signer.Sign(req, body, signedHost, now); err != nil {
				return err
			}
			for _, h := range []string{acs.HeaderDate, acs.HeaderContentSHA256, acs.HeaderHost, "Authorization"} {
				if v := req.Header.Get(h); v != "" {
					fmt.Fprintf(g.Stdout, "%s: %s\n", h, v)
				}
			}
			return nil
		},
	}
	af.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&method, "method", "GET", "HTTP method")
	fl.StringVar(&rawURL, "url", "", "request URL (required)")
	fl.StringVar(&bodyFile, "body", "", "file holding the request body")
	fl.StringVar(&date, "date", "", "signing time (RFC 1123 or RFC 3339; default now)")
	fl.StringVar(&signedHost, "signed-host", "", "host to sign against instead of the URL's (adds x-ms-host)")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, limit %d", path, fi.Size(), limit)
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
