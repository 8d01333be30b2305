package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/outbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// metrics are the hub-level Prometheus metrics; HTTP metrics live in web.
type metrics struct {
	ingested *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdesk_ingest_total",
			Help: "Inbound messages handed to the inbox, by channel and result (stored, duplicate, invalid, error).",
		}, []string{"channel", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "frontdesk_ingest_duration_seconds",
			Help:    "Time to store an inbound message durably, by channel.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"channel"}),
	}
	reg.MustRegister(m.ingested, m.latency)
	return m
}

// Ingested implements inbox.Observer.
func (m *metrics) Ingested(channel string, took time.Duration, duplicate bool, err error) {
	result := "stored"
	switch {
	case err != nil && inbox.IsInvalid(err):
		result = "invalid"
	case err != nil:
		result = "error"
	case duplicate:
		result = "duplicate"
	}
	m.ingested.WithLabelValues(channel, result).Inc()
	if err == nil {
		m.latency.WithLabelValues(channel).Observe(took.Seconds())
	}
}

// busCollector reports each consumer group's lag and pending count, and the outbox
// relay's progress, when scraped.
type busCollector struct {
	bus      queue.Bus
	stream   string
	groups   []string
	relay    *outbox.Relay
	lag      *prometheus.Desc
	pending  *prometheus.Desc
	retained *prometheus.Desc
	dead     *prometheus.Desc
	mark     *prometheus.Desc
	last     *prometheus.Desc
}

func newBusCollector(bus queue.Bus, stream string, groups []string, relay *outbox.Relay) *busCollector {
	return &busCollector{
		bus: bus, stream: stream, groups: groups, relay: relay,
		lag:      prometheus.NewDesc("frontdesk_bus_lag", "Events not yet delivered to the consumer group.", []string{"group"}, nil),
		pending:  prometheus.NewDesc("frontdesk_bus_pending", "Events delivered to the group and not yet acknowledged.", []string{"group"}, nil),
		retained: prometheus.NewDesc("frontdesk_outbox_retained", "Published events kept in the store until every group acknowledged them.", nil, nil),
		dead:     prometheus.NewDesc("frontdesk_bus_dead_letters", "Events parked after too many failed deliveries (up to 1000 counted).", nil, nil),
		mark:     prometheus.NewDesc("frontdesk_bus_watermark", "Lowest event ID the consumer group has not acknowledged.", []string{"group"}, nil),
		last:     prometheus.NewDesc("frontdesk_bus_last_id", "Highest event ID published to the stream.", nil, nil),
	}
}

func (c *busCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.pending
	ch <- c.retained
	ch <- c.dead
	ch <- c.mark
	ch <- c.last
}

func (c *busCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, g := range c.groups {
		st, err := c.bus.Stats(ctx, c.stream, g)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(st.Lag), g)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending), g)
		if w, err := c.bus.Watermark(ctx, c.stream, g); err == nil {
			ch <- prometheus.MustNewConstMetric(c.mark, prometheus.GaugeValue, float64(w), g)
		}
	}
	if last, err := c.bus.LastID(ctx, c.stream); err == nil {
		ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(last))
	}
	ch <- prometheus.MustNewConstMetric(c.retained, prometheus.GaugeValue, float64(c.relay.Stats().Retained))
	if dead, err := c.bus.DeadLetters(ctx, c.stream, 1000); err == nil {
		ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(len(dead)))
	}
}
