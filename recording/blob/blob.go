package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	azblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// EnvConnectionString is read for a shared key when Options.ConnectionString is empty.
const EnvConnectionString = "AZURE_STORAGE_CONNECTION_STRING"

// Options configures a Container.
type Options struct {
	// ContainerURL is https://<account>.blob.core.windows.net/<container>
	// (optionally with a SAS query) or an Azurite URL.
	ContainerURL string `yaml:"container_url"`
	// ConnectionString supplies a shared key (AccountName, AccountKey).
	// When empty and the URL has no SAS, azidentity's
	// DefaultAzureCredential is used.
	ConnectionString string `yaml:"-"`
	// MaxRetries of the azcore pipeline per request. Default 5.
	MaxRetries int32 `yaml:"max_retries"`
	// RetryDelay and MaxRetryDelay bound its backoff. Defaults 500 ms, 30 s.
	RetryDelay    time.Duration `yaml:"retry_delay"`
	MaxRetryDelay time.Duration `yaml:"max_retry_delay"`
	// MaxAttempts of a whole download that makes no progress. Default 5.
	MaxAttempts int `yaml:"max_attempts"`
	// TryTimeout bounds one HTTP try. Default 60 s.
	TryTimeout time.Duration `yaml:"try_timeout"`
	Logger     *slog.Logger  `yaml:"-"`
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{MaxRetries: 5, RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 30 * time.Second, MaxAttempts: 5, TryTimeout: 60 * time.Second}
}

// Container is a BYOS recording container.
type Container struct {
	c   *container.Client
	o   Options
	log *slog.Logger
	url *url.URL
}

// ParseConnectionString returns the account name and key of a storage
// connection string. Errors never contain the key.
func ParseConnectionString(cs string) (account, key string, err error) {
	for _, part := range strings.Split(cs, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "accountname":
			account = v
		case "accountkey":
			key = v
		}
	}
	if account == "" || key == "" {
		return "", "", errors.New("storage connection string: AccountName and AccountKey are required")
	}
	return account, key, nil
}

// New returns a Container client.
func New(o Options) (*Container, error) {
	d := DefaultOptions()
	if o.MaxRetries <= 0 {
		o.MaxRetries = d.MaxRetries
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = d.RetryDelay
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = d.MaxRetryDelay
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.TryTimeout <= 0 {
		o.TryTimeout = d.TryTimeout
	}
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(o.ContainerURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("blob: container URL %q is not an http(s) URL", redactURL(o.ContainerURL))
	}
	copts := &container.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{
		MaxRetries: o.MaxRetries, RetryDelay: o.RetryDelay, MaxRetryDelay: o.MaxRetryDelay, TryTimeout: o.TryTimeout,
	}}}
	var c *container.Client
	switch {
	case u.Query().Get("sig") != "":
		c, err = container.NewClientWithNoCredential(o.ContainerURL, copts)
	case o.ConnectionString != "":
		var acct, key string
		acct, key, err = ParseConnectionString(o.ConnectionString)
		if err != nil {
			return nil, fmt.Errorf("blob: %w", err)
		}
		var cred *container.SharedKeyCredential
		cred, err = container.NewSharedKeyCredential(acct, key)
		if err != nil {
			return nil, fmt.Errorf("blob: shared key: %w", err)
		}
		c, err = container.NewClientWithSharedKeyCredential(o.ContainerURL, cred, copts)
	default:
		var cred azcore.TokenCredential
		cred, err = azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("blob: default Azure credential: %w", err)
		}
		c, err = container.NewClient(o.ContainerURL, cred, copts)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: client for %s: %w", redactURL(o.ContainerURL), err)
	}
	return &Container{c: c, o: o, log: l.WithGroup("blob"), url: u}, nil
}

// Client returns the underlying azblob container client.
func (c *Container) Client() *container.Client { return c.c }

// redactURL drops the query (a SAS) from a URL for messages.
func redactURL(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?REDACTED"
	}
	return s
}

// Chunk is one chunk of a BYOS recording.
type Chunk struct {
	Index        int64
	DocumentID   string
	MetadataBlob string
	AudioBlob    string
	AudioFormat  string // "wav", "mp3", … from "audio<format>"
	AudioSize    int64
	MetadataSize int64
}

// Recording is one folder {date}/{callId}/{first8}-{guid}/ of the container.
type Recording struct {
	Prefix string // "{date}/{callId}/{folder}/"
	Date   time.Time
	CallID string
	// Folder is "{first 8 of recordingId}-{guid}"; it names the recording
	// (the recording id itself is not in the layout).
	Folder string
	Chunks []Chunk // by index
}

// ID returns the identifier ingest uses for the recording folder.
func (r Recording) ID() string { return r.Folder }

var nameRe = regexp.MustCompile(`^([^/]+)/([^/]+)/([^/]+)/([^/.-]+)-(acsmetadata|audio[A-Za-z0-9]*)\.([^/]+)\.([A-Za-z0-9]+)$`)

// ParseName splits a blob name of the BYOS layout. ok is false for other
// names.
func ParseName(name string) (date, callID, folder, chunk, kind, documentID, ext string, ok bool) {
	m := nameRe.FindStringSubmatch(name)
	if m == nil {
		return
	}
	if m[5] == "acsmetadata" && !strings.EqualFold(m[7], "json") {
		return
	}
	return m[1], m[2], m[3], m[4], m[5], m[6], m[7], true
}

// List returns the recordings under the container whose date folder is on
// or after since (zero: all). Folders without a metadata or an audio blob
// for some chunk are returned with what exists; the caller decides.
func (c *Container) List(ctx context.Context, since time.Time) ([]Recording, error) {
	recs := map[string]*Recording{}
	chunks := map[string]*Chunk{}
	pager := c.c.NewListBlobsFlatPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", redactURL(c.o.ContainerURL), translate(err))
		}
		for _, b := range page.Segment.BlobItems {
			if b.Name == nil {
				continue
			}
			date, call, folder, chunk, kind, doc, _, ok := ParseName(*b.Name)
			if !ok {
				continue
			}
			var day time.Time
			if t, err := time.Parse("20060102", date); err == nil {
				day = t
				if !since.IsZero() && t.Before(since.Truncate(24*time.Hour)) {
					continue
				}
			}
			prefix := date + "/" + call + "/" + folder + "/"
			r := recs[prefix]
			if r == nil {
				r = &Recording{Prefix: prefix, Date: day, CallID: call, Folder: folder}
				recs[prefix] = r
			}
			key := prefix + chunk + "\x00" + doc
			ch := chunks[key]
			if ch == nil {
				ch = &Chunk{DocumentID: doc, Index: -1}
				if n, err := strconv.ParseInt(chunk, 10, 64); err == nil {
					ch.Index = n
				}
				chunks[key] = ch
			}
			var size int64
			if b.Properties != nil && b.Properties.ContentLength != nil {
				size = *b.Properties.ContentLength
			}
			if kind == "acsmetadata" {
				ch.MetadataBlob, ch.MetadataSize = *b.Name, size
			} else {
				ch.AudioBlob, ch.AudioSize, ch.AudioFormat = *b.Name, size, strings.TrimPrefix(kind, "audio")
			}
		}
	}
	for key, ch := range chunks {
		prefix := key[:strings.IndexByte(key, '\x00')]
		prefix = prefix[:strings.LastIndexByte(prefix, '/')+1]
		recs[prefix].Chunks = append(recs[prefix].Chunks, *ch)
	}
	out := make([]Recording, 0, len(recs))
	for _, r := range recs {
		sort.Slice(r.Chunks, func(i, j int) bool {
			if r.Chunks[i].Index != r.Chunks[j].Index {
				return r.Chunks[i].Index < r.Chunks[j].Index
			}
			return r.Chunks[i].DocumentID < r.Chunks[j].DocumentID
		})
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out, nil
}

// translate maps "not found" service errors to os.ErrNotExist.
func translate(err error) error {
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound, bloberror.ResourceNotFound) {
		return fmt.Errorf("%w: %w", os.ErrNotExist, err)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == 404 {
		return fmt.Errorf("%w: %w", os.ErrNotExist, err)
	}
	return err
}

// Download fetches blob name into path as a ranged stream, resuming from
// path's current size, and fsyncs it. The final size must equal the blob's.
func (c *Container) Download(ctx context.Context, name, path string) (int64, error) {
	bc := c.c.NewBlobClient(name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", name, err)
	}
	defer f.Close()
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("download %s: %w", name, err)
	}
	total := int64(-1)
	stalls := 0
	for {
		if total >= 0 && off == total {
			break
		}
		resp, err := bc.DownloadStream(ctx, &azblob.DownloadStreamOptions{Range: azblob.HTTPRange{Offset: off}})
		if err != nil {
			if bloberror.HasCode(err, bloberror.InvalidRange) && off > 0 {
				// Asked past the end: check the size.
				props, perr := bc.GetProperties(ctx, nil)
				if perr == nil && props.ContentLength != nil && *props.ContentLength == off {
					total = off
					break
				}
			}
			err = translate(err)
			stalls++
			if errors.Is(err, os.ErrNotExist) || ctx.Err() != nil || stalls >= c.o.MaxAttempts {
				return off, fmt.Errorf("download %s from byte %d: %w", name, off, err)
			}
			c.log.Warn("blob download failed; retrying", "blob", name, "offset", off, "err", err)
			if serr := sleep(ctx, time.Duration(stalls)*c.o.RetryDelay); serr != nil {
				return off, fmt.Errorf("download %s: %w", name, serr)
			}
			continue
		}
		if resp.ContentRange != nil {
			if _, t, ok := strings.Cut(*resp.ContentRange, "/"); ok {
				if n, err := strconv.ParseInt(t, 10, 64); err == nil {
					total = n
				}
			}
		} else if resp.ContentLength != nil && off == 0 {
			total = *resp.ContentLength
		}
		body := resp.NewRetryReader(ctx, &azblob.RetryReaderOptions{MaxRetries: 3})
		n, cerr := io.Copy(f, body)
		body.Close()
		off += n
		if n > 0 {
			stalls = 0
		}
		if cerr != nil {
			var pe *os.PathError
			if errors.As(cerr, &pe) {
				return off, fmt.Errorf("download %s: %w", name, cerr)
			}
			stalls++
			if ctx.Err() != nil || stalls >= c.o.MaxAttempts {
				return off, fmt.Errorf("download %s at byte %d: %w", name, off, cerr)
			}
			c.log.Warn("blob download interrupted; resuming", "blob", name, "offset", off, "err", cerr)
			continue
		}
		if total < 0 {
			total = off
		}
		if off != total {
			stalls++
			if stalls >= c.o.MaxAttempts {
				return off, fmt.Errorf("download %s: have %d bytes, blob has %d", name, off, total)
			}
		}
	}
	if off == 0 {
		return 0, fmt.Errorf("download %s: blob is empty", name)
	}
	if err := f.Sync(); err != nil {
		return off, fmt.Errorf("download %s: %w", name, err)
	}
	return off, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsBlobURL reports whether loc is a blob in this container (a BYOS
// contentLocation) and returns the blob name.
func (c *Container) IsBlobURL(loc string) (string, bool) {
	u, err := url.Parse(loc)
	if err != nil || !strings.EqualFold(u.Host, c.url.Host) {
		return "", false
	}
	prefix := strings.TrimSuffix(c.url.Path, "/") + "/"
	name, ok := strings.CutPrefix(u.Path, prefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}
