package ingest

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkWebhookAck measures events acknowledged per second through the
// real HTTP handler and the fsynced spool (one event per delivery, as Event
// Grid sends by default, 32 concurrent senders).
func BenchmarkWebhookAck(b *testing.B) {
	svc := newService(b, nil, b.TempDir(), func(o *ServerOptions, p *Processor) { o.Workers.Workers = -1 }) // acknowledge only
	defer svc.stop(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var n atomic.Int64
	b.SetParallelism(16) // x GOMAXPROCS senders
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("bench-%d", n.Add(1))
			resp, err := client.Post(svc.webhook(), "application/json", strings.NewReader(rfsu(id, "rec-"+id)))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
