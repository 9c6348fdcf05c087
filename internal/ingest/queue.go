package ingest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/blob"
	"github.com/callscope/callscope/recording/eventgrid"
)

// QueueOptions configures a QueueConsumer.
type QueueOptions struct {
	// VisibilityTimeout a dequeued message stays hidden; renewed every
	// third of it while its recording downloads. Default 60 s.
	VisibilityTimeout time.Duration `yaml:"visibility_timeout"`
	// PoisonAfter moves a message to the poison queue once it has been
	// dequeued more than this many times. Default 5.
	PoisonAfter int `yaml:"poison_after"`
	// PoisonQueue is the poison queue's name. Default "<queue>-poison".
	PoisonQueue string `yaml:"poison_queue"`
	// Concurrency is the number of messages processed at once. Default 2.
	Concurrency int `yaml:"concurrency"`
	// PollInterval between receives when the queue is empty. Default 1 s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// RetryDelay: a failed message becomes visible again after about this
	// long (doubling per dequeue, capped at 15 minutes). Default 10 s.
	RetryDelay time.Duration `yaml:"retry_delay"`
}

// DefaultQueueOptions returns the documented defaults.
func DefaultQueueOptions() QueueOptions {
	return QueueOptions{VisibilityTimeout: 60 * time.Second, PoisonAfter: 5, Concurrency: 2, PollInterval: time.Second, RetryDelay: 10 * time.Second}
}

func (o QueueOptions) withDefaults() QueueOptions {
	d := DefaultQueueOptions()
	if o.VisibilityTimeout < time.Second {
		o.VisibilityTimeout = d.VisibilityTimeout
	}
	if o.PoisonAfter <= 0 {
		o.PoisonAfter = d.PoisonAfter
	}
	if o.Concurrency <= 0 {
		o.Concurrency = d.Concurrency
	}
	if o.PollInterval <= 0 {
		o.PollInterval = d.PollInterval
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = d.RetryDelay
	}
	return o
}

// NewQueueClients returns clients for queueURL and its poison queue
// (created if missing). Credentials: a SAS in the URL, a shared key from
// connectionString, else azidentity's default chain.
func NewQueueClients(ctx context.Context, queueURL, connectionString, poisonName string) (q, poison *azqueue.QueueClient, err error) {
	u, name, err := splitQueueURL(queueURL)
	if err != nil {
		return nil, nil, err
	}
	if poisonName == "" {
		poisonName = name + "-poison"
	}
	mk := func(url string) (*azqueue.QueueClient, error) {
		switch {
		case bytes.Contains([]byte(url), []byte("sig=")):
			return azqueue.NewQueueClientWithNoCredential(url, nil)
		case connectionString != "":
			acct, key, err := blob.ParseConnectionString(connectionString)
			if err != nil {
				return nil, err
			}
			cred, err := azqueue.NewSharedKeyCredential(acct, key)
			if err != nil {
				return nil, err
			}
			return azqueue.NewQueueClientWithSharedKeyCredential(url, cred, nil)
		default:
			var cred azcore.TokenCredential
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				return nil, err
			}
			return azqueue.NewQueueClient(url, cred, nil)
		}
	}
	if q, err = mk(queueURL); err != nil {
		return nil, nil, fmt.Errorf("queue client: %w", err)
	}
	if poison, err = mk(u + "/" + poisonName + querySuffix(queueURL)); err != nil {
		return nil, nil, fmt.Errorf("poison queue client: %w", err)
	}
	if _, err := poison.Create(ctx, nil); err != nil && !isQueueExists(err) {
		return nil, nil, fmt.Errorf("create poison queue %s: %w", poisonName, err)
	}
	return q, poison, nil
}

func isQueueExists(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == 409
}

// splitQueueURL returns the account URL part and the queue name.
func splitQueueURL(s string) (string, string, error) {
	base := s
	if i := bytes.IndexByte([]byte(s), '?'); i >= 0 {
		base = s[:i]
	}
	i := bytes.LastIndexByte([]byte(base), '/')
	if i < 0 || i == len(base)-1 || !bytes.Contains([]byte(base), []byte("://")) {
		return "", "", fmt.Errorf("queue URL %q: want https://<account>.queue.core.windows.net/<queue>", redactQuery(s))
	}
	return base[:i], base[i+1:], nil
}

func querySuffix(s string) string {
	if i := bytes.IndexByte([]byte(s), '?'); i >= 0 {
		return s[i:]
	}
	return ""
}

func redactQuery(s string) string {
	if i := bytes.IndexByte([]byte(s), '?'); i >= 0 {
		return s[:i] + "?REDACTED"
	}
	return s
}

// QueueConsumer processes Event Grid events delivered to an Azure Storage
// Queue. A message is deleted only after its recordings are on disk; its
// visibility is renewed while they download; a message dequeued more than
// PoisonAfter times, or one that can never succeed, goes to the poison
// queue. Several consumers (processes) can share a queue and a data
// directory: a recording folder is locked while it is worked on and
// chunks already verified are not downloaded again.
type QueueConsumer struct {
	Queue     *azqueue.QueueClient
	Poison    *azqueue.QueueClient
	Processor *Processor
	Options   QueueOptions
	Logger    *slog.Logger
	Metrics   *Metrics
}

// Run consumes until ctx ends; in-flight messages finish first unless
// their processing observes ctx (downloads do), in which case they stay
// in the queue and reappear after their visibility timeout.
func (c *QueueConsumer) Run(ctx context.Context) error {
	c.Options = c.Options.withDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	sem := make(chan struct{}, c.Options.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	vt := int32(c.Options.VisibilityTimeout / time.Second)
	for {
		free := c.Options.Concurrency - len(sem)
		if free == 0 {
			select {
			case sem <- struct{}{}:
				<-sem
				continue
			case <-ctx.Done():
				return nil
			}
		}
		resp, err := c.Queue.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{NumberOfMessages: ptr(int32(min(free, 32))), VisibilityTimeout: &vt})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.Logger.Warn("queue receive failed", "err", err)
			if !sleepCtx(ctx, c.Options.PollInterval) {
				return nil
			}
			continue
		}
		if len(resp.Messages) == 0 {
			if !sleepCtx(ctx, c.Options.PollInterval) {
				return nil
			}
			continue
		}
		for _, m := range resp.Messages {
			if m == nil || m.MessageID == nil || m.PopReceipt == nil || m.MessageText == nil {
				continue
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				c.handle(ctx, m)
			}()
		}
	}
}

func ptr[T any](v T) *T { return &v }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// decodeMessage returns the Event Grid delivery in a message: JSON as is,
// or base64 of JSON.
func decodeMessage(text string) ([]eventgrid.Event, error) {
	b := bytes.TrimSpace([]byte(text))
	if len(b) > 0 && b[0] != '{' && b[0] != '[' {
		dec, err := base64.StdEncoding.DecodeString(string(b))
		if err != nil {
			return nil, fmt.Errorf("message is neither JSON nor base64: %w", err)
		}
		b = dec
	}
	return eventgrid.Decode(b)
}

type renewer struct {
	mu  sync.Mutex
	pop string
}

func (c *QueueConsumer) count(outcome string) {
	if c.Metrics != nil {
		c.Metrics.QueueMessages.WithLabelValues(outcome).Inc()
	}
}

func (c *QueueConsumer) handle(ctx context.Context, m *azqueue.DequeuedMessage) {
	id := *m.MessageID
	text := *m.MessageText
	dq := int64(0)
	if m.DequeueCount != nil {
		dq = *m.DequeueCount
	}
	log := c.Logger.With("message", id, "dequeueCount", dq)
	rn := &renewer{pop: *m.PopReceipt}
	if dq > int64(c.Options.PoisonAfter) {
		c.poison(ctx, rn, id, text, fmt.Errorf("dequeued %d times", dq), log)
		return
	}
	evs, err := decodeMessage(text)
	if err != nil {
		c.poison(ctx, rn, id, text, err, log)
		return
	}
	if c.Metrics != nil {
		c.Metrics.EventsReceived.Add(float64(len(evs)))
	}
	// Keep the message hidden while we work.
	wctx, stop := context.WithCancel(ctx)
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		vt := int32(c.Options.VisibilityTimeout / time.Second)
		for sleepCtx(wctx, c.Options.VisibilityTimeout/3) {
			rn.mu.Lock()
			resp, err := c.Queue.UpdateMessage(wctx, id, rn.pop, text, &azqueue.UpdateMessageOptions{VisibilityTimeout: &vt})
			if err == nil && resp.PopReceipt != nil {
				rn.pop = *resp.PopReceipt
			}
			rn.mu.Unlock()
			if err != nil && wctx.Err() == nil {
				log.Warn("visibility renewal failed; another consumer may take the message (its work is idempotent)", "err", err)
			}
		}
	}()
	var errs []error
	ignored := 0
	for _, ev := range evs {
		if c.Processor.OnEvent != nil && IsPlatformEvent(ev) {
			if _, err := c.Processor.Process(ctx, ev.Raw); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if !ev.IsType(recording.EventRecordingFileStatusUpdated) {
			ignored++
			if c.Metrics != nil {
				c.Metrics.EventsIgnored.WithLabelValues(typeClass(ev.Type)).Inc()
			}
			continue
		}
		res, err := c.Processor.Process(ctx, ev.Raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.Metrics != nil {
			outcome := "partial"
			if res.Complete {
				outcome = "complete"
			}
			c.Metrics.Recordings.WithLabelValues(outcome).Inc()
		}
	}
	stop()
	<-renewDone
	err = errors.Join(errs...)
	switch {
	case err == nil:
		rn.mu.Lock()
		_, derr := c.Queue.DeleteMessage(context.WithoutCancel(ctx), id, rn.pop, nil)
		rn.mu.Unlock()
		if derr != nil {
			log.Warn("delete of a processed message failed; it will be seen again (idempotent)", "err", derr)
		}
		if c.Metrics != nil {
			c.Metrics.EventsAcknowledged.Add(float64(len(evs)))
		}
		if ignored == len(evs) {
			c.count("ignored")
		} else {
			c.count("done")
		}
	case ctx.Err() != nil:
		// Shutting down: the message reappears after its timeout.
	case IsPermanent(err):
		c.poison(ctx, rn, id, text, err, log)
	default:
		wait := c.Options.RetryDelay << min(max(dq-1, 0), 10)
		wait = min(wait, 15*time.Minute)
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait)/2+1))
		vt := max(int32(wait/time.Second), 1)
		rn.mu.Lock()
		_, uerr := c.Queue.UpdateMessage(context.WithoutCancel(ctx), id, rn.pop, text, &azqueue.UpdateMessageOptions{VisibilityTimeout: &vt})
		rn.mu.Unlock()
		log.Warn("message failed; it will be retried", "err", err, "in", time.Duration(vt)*time.Second, "updateErr", uerr)
		c.count("retry")
	}
}

func (c *QueueConsumer) poison(ctx context.Context, rn *renewer, id, text string, cause error, log *slog.Logger) {
	ctx = context.WithoutCancel(ctx)
	if c.Poison != nil {
		if _, err := c.Poison.EnqueueMessage(ctx, text, &azqueue.EnqueueMessageOptions{TimeToLive: ptr(int32(-1))}); err != nil {
			log.Error("cannot move message to the poison queue; leaving it", "err", err)
			return
		}
	}
	rn.mu.Lock()
	_, err := c.Queue.DeleteMessage(ctx, id, rn.pop, nil)
	rn.mu.Unlock()
	if err != nil {
		log.Warn("delete after moving to poison failed", "err", err)
	}
	log.Error("message moved to the poison queue", "cause", cause)
	c.count("poison")
}
