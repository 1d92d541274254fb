package server

import "github.com/prometheus/client_golang/prometheus"

// metrics are the service's Prometheus metrics, on a registry of their own:
// records by outcome, rejections by reason, accepted records by envelope
// version. The transports count requests on theirs.
type metrics struct {
	reg      *prometheus.Registry
	ingested *prometheus.CounterVec
	rejects  *prometheus.CounterVec
	versions *prometheus.CounterVec
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
		versions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onex_records_envelope_total", Help: "Records accepted, by envelope version (1: X25519, 2: MLKEM768-X25519).",
		}, []string{"version"}),
	}
	m.reg.MustRegister(m.ingested, m.rejects, m.versions)
	return m
}

// Metrics gathers the service's metrics.
func (c *Central) Metrics() prometheus.Gatherer { return c.metrics.reg }
