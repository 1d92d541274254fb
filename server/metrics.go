package server

import "github.com/prometheus/client_golang/prometheus"

// metrics are the service's Prometheus metrics, on a registry of their own:
// records by outcome and rejections by reason. The transports count requests
// on theirs.
type metrics struct {
	reg      *prometheus.Registry
	ingested *prometheus.CounterVec
	rejects  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onex_records_total", Help: "Records received in batches, by outcome.",
		}, []string{"outcome"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onex_records_rejected_total", Help: "Records rejected, by reason.",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.ingested, m.rejects)
	return m
}

// Metrics gathers the service's metrics.
func (c *Central) Metrics() prometheus.Gatherer { return c.metrics.reg }
