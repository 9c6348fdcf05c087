package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callscope/callscope/recording/spool"
)

// Metrics are the ingest service's Prometheus metrics.
type Metrics struct {
	EventsReceived     prometheus.Counter
	EventsAcknowledged prometheus.Counter
	EventsIgnored      *prometheus.CounterVec // by event type class
	DeliveriesRejected *prometheus.CounterVec // by reason
	Downloads          *prometheus.CounterVec // by kind (audio, metadata) and source (acs, blob)
	DownloadBytes      *prometheus.CounterVec // by source
	DownloadFailures   *prometheus.CounterVec // by reason
	DownloadDuration   *prometheus.HistogramVec
	Recordings         *prometheus.CounterVec // by outcome: complete, partial, failed
	QueueMessages      *prometheus.CounterVec // by outcome: done, poison, retry, ignored
}

// NewMetrics registers the metrics with reg (nil: not registered). The
// spool gauges (depth, oldest age) are read from sp at scrape time.
func NewMetrics(reg prometheus.Registerer, sp *spool.Spool) *Metrics {
	m := &Metrics{
		EventsReceived: prometheus.NewCounter(prometheus.CounterOpts{Name: "callscope_ingest_events_received_total",
			Help: "Events decoded from webhook deliveries and queue messages."}),
		EventsAcknowledged: prometheus.NewCounter(prometheus.CounterOpts{Name: "callscope_ingest_events_acknowledged_total",
			Help: "Events acknowledged after they were made durable."}),
		EventsIgnored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_events_ignored_total",
			Help: "Acknowledged events of types ingest does not act on."}, []string{"type"}),
		DeliveriesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_deliveries_rejected_total",
			Help: "Webhook requests answered with an error status, by reason."}, []string{"reason"}),
		Downloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_downloads_total",
			Help: "Files downloaded and verified."}, []string{"kind", "source"}),
		DownloadBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_download_bytes_total",
			Help: "Bytes of verified downloads."}, []string{"source"}),
		DownloadFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_download_failures_total",
			Help: "Downloads that failed (after retries), by reason."}, []string{"reason"}),
		DownloadDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "callscope_ingest_download_duration_seconds",
			Help: "Duration of one file download including retries.", Buckets: prometheus.ExponentialBuckets(0.01, 3, 10)}, []string{"kind"}),
		Recordings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_recordings_total",
			Help: "Recording events processed, by outcome."}, []string{"outcome"}),
		QueueMessages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callscope_ingest_queue_messages_total",
			Help: "Storage queue messages handled, by outcome."}, []string{"outcome"}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.EventsReceived, m.EventsAcknowledged, m.EventsIgnored, m.DeliveriesRejected, m.Downloads,
		m.DownloadBytes, m.DownloadFailures, m.DownloadDuration, m.Recordings, m.QueueMessages)
	if sp != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "callscope_ingest_spool_depth",
				Help: "Spool items waiting to be processed."}, func() float64 { return float64(sp.Stats().Pending) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "callscope_ingest_spool_failed",
				Help: "Spool items that failed permanently and wait for an operator."}, func() float64 { return float64(sp.Stats().Failed) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "callscope_ingest_spool_oldest_age_seconds",
				Help: "Age of the oldest pending spool item (0 when empty)."}, func() float64 {
				st := sp.Stats()
				if st.OldestPending.IsZero() {
					return 0
				}
				return time.Since(st.OldestPending).Seconds()
			}),
		)
	}
	return m
}
