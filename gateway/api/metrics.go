package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// Metrics are the gateway's Prometheus collectors.
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	fabricErrors    *prometheus.CounterVec
	requestProblems *prometheus.CounterVec
}

// NewMetrics registers the collectors on reg, or on a new registry when reg is nil.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recv_gateway_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "recv_gateway_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		fabricErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recv_gateway_fabric_errors_total", Help: "Failed ledger calls by kind (invalid, conflict, endorse, timeout, ...).",
		}, []string{"kind"}),
		requestProblems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recv_gateway_request_problems_total",
			Help: "Failed requests the gateway refused or failed itself, before or around the ledger, by kind and stage (request, auth, identity, admin, ...).",
		}, []string{"kind", "stage"}),
	}
	reg.MustRegister(m.requests, m.latency, m.fabricErrors, m.requestProblems)
	return m
}

// countFailure counts a failed request in one counter: a failure of the ledger (the Fabric
// client's, the CA's) in recv_gateway_fabric_errors_total, any other in
// recv_gateway_request_problems_total, so that an alert on the first is not set off by bad
// requests, refused tokens or a misused Idempotency-Key. f is err as kindOf classified it.
func (m *Metrics) countFailure(err error, f *Failure) {
	if fromLedger(err) {
		m.fabricErrors.WithLabelValues(string(f.Kind)).Inc()
		return
	}
	m.requestProblems.WithLabelValues(string(f.Kind), f.Stage).Inc()
}

// fromLedger tells whether err is a failure of a ledger call: a fabric.Error (also inside a
// Failure that rewords it), except the gateway's own journal of the request (stage "request"), or
// an error neither the HTTP layer nor the operation table made, which kindOf classifies as the
// SDK's.
func fromLedger(err error) bool {
	var fe *fabric.Error
	if errors.As(err, &fe) {
		return fe.Stage != "request"
	}
	var p *Failure
	var we *wire.Error
	return !errors.As(err, &p) && !errors.As(err, &we)
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing for SSE).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (m *Metrics) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
