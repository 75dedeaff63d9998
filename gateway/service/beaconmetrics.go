package service

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// beaconMetricsMaxAge is how long a read of the beacon serves scrapes: a few scrapers (or a
// person reloading /metrics) cost one ledger read, not one each.
const beaconMetricsMaxAge = 5 * time.Second

// beaconCollector exports the network's time beacon as this gateway reads it on the ledger, so
// that the monitoring can tell when it stops ticking (alert TimeBeaconLate, docs/operations.md):
//
//   - recv_beacon_timestamp_seconds: the beacon's time (the chaincode's GetBeacon, read as the
//     service identity when /metrics is scraped); absent when the beacon cannot be read;
//   - recv_gateway_beacon_interval_seconds: how often this gateway ticks it or stands by
//     (--beacon-interval; 0: it does not), which tells the alert how late is late.
type beaconCollector struct {
	schedule beaconSchedule // Identity, and the timeout of a read (Interval)
	fc       beaconLedger
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	readAt time.Time
	at     time.Time
	ok     bool

	timestamp, intervalDesc *prometheus.Desc
}

func newBeaconCollector(fc beaconLedger, identity string, interval time.Duration) *beaconCollector {
	return &beaconCollector{
		schedule: beaconSchedule{Identity: identity, Interval: 3 * time.Second},
		fc:       fc,
		interval: interval,
		now:      time.Now,
		timestamp: prometheus.NewDesc("recv_beacon_timestamp_seconds",
			"Time of the network's time beacon on the ledger (the last tick), as this gateway reads it.", nil, nil),
		intervalDesc: prometheus.NewDesc("recv_gateway_beacon_interval_seconds",
			"How often this gateway ticks the time beacon or stands by for it; 0: it does not.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *beaconCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.timestamp
	ch <- c.intervalDesc
}

// Collect implements prometheus.Collector: the interval, and the beacon read at most every
// beaconMetricsMaxAge.
func (c *beaconCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.intervalDesc, prometheus.GaugeValue, c.interval.Seconds())
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.readAt) >= beaconMetricsMaxAge {
		at, _, err := c.schedule.read(context.Background(), c.fc)
		c.readAt, c.at, c.ok = now, at, err == nil
	}
	if c.ok {
		ch <- prometheus.MustNewConstMetric(c.timestamp, prometheus.GaugeValue, float64(c.at.Unix()))
	}
}
