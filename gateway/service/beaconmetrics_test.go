package service

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// The gateway's /metrics carries the beacon's time as read on the ledger and its own ticking
// interval; a beacon that cannot be read leaves the timestamp out (never a stale or zero time
// that an alert would take for a real one), and scrapes within a few seconds share one read.
func TestBeaconMetrics_TheBeaconsTimeAndTheInterval(t *testing.T) {
	ticked := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	f := &fakeBeaconLedger{beacon: beaconAt(ticked)}
	c := newBeaconCollector(f, "admin", time.Minute)
	now := ticked.Add(10 * time.Second)
	c.now = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)

	want := `
# HELP recv_beacon_timestamp_seconds Time of the network's time beacon on the ledger (the last tick), as this gateway reads it.
# TYPE recv_beacon_timestamp_seconds gauge
recv_beacon_timestamp_seconds ` + strconv.FormatFloat(float64(ticked.Unix()), 'g', -1, 64) + `
# HELP recv_gateway_beacon_interval_seconds How often this gateway ticks the time beacon or stands by for it; 0: it does not.
# TYPE recv_gateway_beacon_interval_seconds gauge
recv_gateway_beacon_interval_seconds 60
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))
	require.Equal(t, 1, f.reads, "a second scrape within 5 s reads no more")

	f.beacon = nil // the peer cannot be reached
	now = now.Add(beaconMetricsMaxAge)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP recv_gateway_beacon_interval_seconds How often this gateway ticks the time beacon or stands by for it; 0: it does not.
# TYPE recv_gateway_beacon_interval_seconds gauge
recv_gateway_beacon_interval_seconds 60
`)))
	require.Equal(t, 2, f.reads)
}
