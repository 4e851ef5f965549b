// Package metrics counts what the bot does, for Prometheus: one Metrics
// value over its own registry (never the global one, so two bots in one
// process, as in tests, keep their numbers apart). It is the Observer of
// commands, notify and internal/slackout, and an aws-sdk-go-v2 middleware
// that counts every AWS call.
//
// The names, all under switchyard_ (see README, "Operating it"):
//
//	switchyard_build_info{version}                        1, with the running version
//	switchyard_slack_envelopes_total{type}                Socket Mode envelopes acked
//	switchyard_slack_ack_seconds{type}                    from an envelope's arrival to its ack (histogram)
//	switchyard_actions_total{action,result}               audited commands and clicks by outcome (ok, refused, failed)
//	switchyard_slack_socket_up                            1 while this replica's Socket Mode connection is up
//	switchyard_slack_socket_connections                   the app's open connections by Slack's count at the last hello
//	switchyard_deployments_tracked                        deployments this replica watches now (it holds their leases)
//	switchyard_lease_takeovers_total                      deployments taken over from a replica that stopped renewing
//	switchyard_sqs_messages_received_total                events-queue messages received
//	switchyard_sqs_messages_deleted_total                 events-queue messages deleted
//	switchyard_slack_calls_total{method,result}           Web API calls; result ok, rate_limited (429), Slack's error code, or error
//	switchyard_slack_call_seconds{method}                 how long each call took (histogram)
//	switchyard_card_edit_delay_seconds                    from a card's change to Slack taking the edit (histogram)
//	switchyard_aws_calls_total{service,operation,code}    AWS API calls; code ok, AWS's error code, or error
//	switchyard_aws_call_seconds{service,operation}        how long each call took, retries included (histogram)
//
// plus the Go runtime's go_* and the process's process_* metrics.
//
// Label values that come from outside (Slack's and AWS's error codes) are
// cut to a safe alphabet and length, so a strange answer cannot mint label
// values without end or break the exposition format.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchyard/switchyard"
)

const namespace = "switchyard"

// Options are the optional settings of New.
type Options struct {
	// Version is the build's version, shown by switchyard_build_info.
	Version string
}

// Metrics holds every metric of one bot. Its methods are safe for
// concurrent use, cheap, and never block; build it with New.
type Metrics struct {
	reg *prometheus.Registry

	envelopes   *prometheus.CounterVec
	ack         *prometheus.HistogramVec
	actions     *prometheus.CounterVec
	socketUp    prometheus.Gauge
	connections prometheus.Gauge

	tracked     prometheus.Gauge
	takeovers   prometheus.Counter
	sqsReceived prometheus.Counter
	sqsDeleted  prometheus.Counter

	slackCalls   *prometheus.CounterVec
	slackSeconds *prometheus.HistogramVec
	cardEdit     prometheus.Histogram

	awsCalls   *prometheus.CounterVec
	awsSeconds *prometheus.HistogramVec
}

// New registers every metric on a new registry.
func New(o Options) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "slack", Name: "envelopes_total",
			Help: "Socket Mode envelopes acked, by envelope type."}, []string{"type"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "slack", Name: "ack_seconds",
			Help:    "Time from an envelope's arrival to its ack, by envelope type; Slack gives up after 3 s.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5}}, []string{"type"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "actions_total",
			Help: "Audited commands and clicks, by action and result (ok, refused, failed)."}, []string{"action", "result"}),
		socketUp: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "slack", Name: "socket_up",
			Help: "1 while this replica's Socket Mode connection is up, else 0."}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "slack", Name: "socket_connections",
			Help: "The app's open Socket Mode connections by Slack's count at the last hello; more than the replicas running means ghost connections."}),
		tracked: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "deployments_tracked",
			Help: "Deployments this replica watches now (it holds their leases)."}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "lease_takeovers_total",
			Help: "Deployments this replica took over from one that stopped renewing its lease."}),
		sqsReceived: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "sqs", Name: "messages_received_total",
			Help: "Messages received from the events queue."}),
		sqsDeleted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "sqs", Name: "messages_deleted_total",
			Help: "Messages deleted from the events queue."}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "slack", Name: "calls_total",
			Help: "Slack Web API calls by method and result: ok, rate_limited (429), Slack's error code, or error (no answer)."}, []string{"method", "result"}),
		slackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "slack", Name: "call_seconds",
			Help: "Duration of Slack Web API calls, by method.", Buckets: prometheus.DefBuckets}, []string{"method"}),
		cardEdit: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "card_edit_delay_seconds",
			Help:    "Time from a change of a card to Slack taking its edit.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}}),
		awsCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "aws", Name: "calls_total",
			Help: "AWS API calls by service, operation and code: ok, AWS's error code, or error (no answer)."}, []string{"service", "operation", "code"}),
		awsSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "aws", Name: "call_seconds",
			Help: "Duration of AWS API calls, retries included, by service and operation.", Buckets: prometheus.DefBuckets}, []string{"service", "operation"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help: "Always 1; the version label says which build runs.", ConstLabels: prometheus.Labels{"version": label(o.Version, "unknown")}})
	build.Set(1)
	// The envelope types every bot receives show from the start, at 0, so
	// that a rate over them exists before the first command.
	for _, kind := range []string{"slash_commands", "interactive", "events_api"} {
		m.envelopes.WithLabelValues(kind)
		m.ack.WithLabelValues(kind)
	}
	reg.MustRegister(build, m.envelopes, m.ack, m.actions, m.socketUp, m.connections, m.tracked, m.takeovers,
		m.sqsReceived, m.sqsDeleted, m.slackCalls, m.slackSeconds, m.cardEdit, m.awsCalls, m.awsSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer is what /metrics serves.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Envelope counts an acked envelope and its ack latency (commands.Observer).
func (m *Metrics) Envelope(kind string, ack time.Duration) {
	kind = label(kind, "unknown")
	m.envelopes.WithLabelValues(kind).Inc()
	m.ack.WithLabelValues(kind).Observe(ack.Seconds())
}

// Outcome counts an audited action by its result (commands.Observer).
func (m *Metrics) Outcome(action string, result switchyard.Result) {
	m.actions.WithLabelValues(label(action, "unknown"), label(string(result), "unknown")).Inc()
}

// Socket follows the Socket Mode connection (commands.Observer).
// connections is Slack's count from hello, 0 when the event carries none:
// then the last count stands.
func (m *Metrics) Socket(up bool, connections int) {
	if up {
		m.socketUp.Set(1)
	} else {
		m.socketUp.Set(0)
	}
	if connections > 0 {
		m.connections.Set(float64(connections))
	}
}

// Tracked sets how many deployments this replica watches (notify.Observer).
func (m *Metrics) Tracked(n int) { m.tracked.Set(float64(n)) }

// Takeover counts a lease taken over (notify.Observer).
func (m *Metrics) Takeover() { m.takeovers.Inc() }

// QueueReceived counts messages received from the queue (notify.Observer).
func (m *Metrics) QueueReceived(n int) { m.sqsReceived.Add(float64(max(n, 0))) }

// QueueDeleted counts a message deleted from the queue (notify.Observer).
func (m *Metrics) QueueDeleted() { m.sqsDeleted.Inc() }

// SlackCall counts one Web API call (slackout.Observer).
func (m *Metrics) SlackCall(method, result string, took time.Duration) {
	method = label(method, "unknown")
	m.slackCalls.WithLabelValues(method, label(result, "error")).Inc()
	m.slackSeconds.WithLabelValues(method).Observe(took.Seconds())
}

// CardEdit records how long a card edit waited (slackout.Observer).
func (m *Metrics) CardEdit(delay time.Duration) { m.cardEdit.Observe(max(delay, 0).Seconds()) }

// maxLabel is the longest label value kept from outside text.
const maxLabel = 64

// label makes s a safe label value: only letters, digits and _ . : / -,
// at most maxLabel bytes; fallback when nothing is left.
func label(s, fallback string) string {
	b := make([]byte, 0, min(len(s), maxLabel))
	for i := 0; i < len(s) && len(b) < maxLabel; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '_', c == '.', c == ':', c == '/', c == '-':
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return fallback
	}
	return string(b)
}
