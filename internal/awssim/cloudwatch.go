package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborPathPrefix is where Smithy RPC v2 CBOR calls to CloudWatch arrive.
const cborPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// cloudwatchState holds the metric alarms by name.
type cloudwatchState struct {
	alarms map[string]*alarm
	ops    map[string]func(in cborInput) (cbor.Value, error)
}

// alarm is a metric alarm; the simulator does not evaluate metrics, so its
// state moves only through SetAlarm.
type alarm struct {
	name          string
	arn           string
	state         string // OK | ALARM | INSUFFICIENT_DATA
	reason        string
	updatedAt     time.Time // StateUpdatedTimestamp
	transitionAt  time.Time // StateTransitionedTimestamp: last change of value
	configuredAt  time.Time
	metricName    string
	namespace     string
	statistic     string
	period        int
	evalPeriods   int
	threshold     float64
	comparisonOp  string
	treatMissing  string
	dimensionName string
}

var alarmStates = []string{"OK", "ALARM", "INSUFFICIENT_DATA"}

func (s *Sim) registerCloudWatch() {
	s.cloudwatch.alarms = map[string]*alarm{}
	s.cloudwatch.ops = map[string]func(cborInput) (cbor.Value, error){
		"DescribeAlarms": s.cwDescribeAlarms,
	}
}

// PutAlarm creates a metric alarm in state OK, or leaves an existing one as
// it is.
func (s *Sim) PutAlarm(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putAlarmLocked(name, "OK", "")
}

func (s *Sim) putAlarmLocked(name, state, reason string) *alarm {
	if a := s.cloudwatch.alarms[name]; a != nil {
		return a
	}
	now := s.clock.Now()
	if reason == "" {
		reason = "Alarm created by the simulator's seed."
	}
	a := &alarm{
		name:          name,
		arn:           fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.region, s.account, name),
		state:         state,
		reason:        reason,
		updatedAt:     now,
		transitionAt:  now,
		configuredAt:  now,
		metricName:    "HTTPCode_Target_5XX_Count",
		namespace:     "AWS/ApplicationELB",
		statistic:     "Sum",
		period:        60,
		evalPeriods:   1,
		threshold:     1,
		comparisonOp:  "GreaterThanOrEqualToThreshold",
		treatMissing:  "notBreaching",
		dimensionName: "TargetGroup",
	}
	s.cloudwatch.alarms[name] = a
	return a
}

// SetAlarm moves an existing alarm to state (OK, ALARM or
// INSUFFICIENT_DATA) with reason, like CloudWatch's SetAlarmState. A
// deployment group watching the alarm sees the change on its next check.
func (s *Sim) SetAlarm(name, state, reason string) error {
	if !slices.Contains(alarmStates, state) {
		return fmt.Errorf("set alarm %s: state %q is not one of %s", name, state, strings.Join(alarmStates, ", "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.cloudwatch.alarms[name]
	if a == nil {
		return fmt.Errorf("set alarm %s: no such alarm", name)
	}
	now := s.clock.Now()
	if a.state != state {
		a.transitionAt = now
	}
	a.state, a.reason, a.updatedAt = state, reason, now
	return nil
}

// alarmStateLocked is the alarm's state, "" if there is no such alarm.
// Call it with s.mu held.
func (s *Sim) alarmStateLocked(name string) string {
	if a := s.cloudwatch.alarms[name]; a != nil {
		return a.state
	}
	return ""
}

// serveCBOR answers one Smithy RPC v2 CBOR call to CloudWatch (signing name
// "monitoring").
func (s *Sim) serveCBOR(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	fn, ok := s.cloudwatch.ops[op]
	if !ok {
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		writeCBORError(w, &apiError{Status: http.StatusNotFound, Code: "UnknownOperationException",
			Message: "unknown operation " + op})
		return
	}
	if scope := signingService(r.Header.Get("Authorization")); scope != "" && scope != "monitoring" {
		writeCBORError(w, errf("InvalidSignatureException", "Credential should be scoped to correct service: 'monitoring'."))
		return
	}
	if aerr := s.faults.check("monitoring", op, callerOf(r.Context(), s).arn); aerr != nil {
		writeCBORError(w, aerr)
		return
	}
	in, err := decodeCBORInput(body)
	if err != nil {
		writeCBORError(w, asAPIError(err))
		return
	}
	out, err := fn(in)
	if err != nil {
		writeCBORError(w, asAPIError(err))
		return
	}
	writeCBOR(w, out)
}

func (s *Sim) cwDescribeAlarms(in cborInput) (cbor.Value, error) {
	names, err := in.strList("AlarmNames")
	if err != nil {
		return nil, err
	}
	prefix, err := in.str("AlarmNamePrefix")
	if err != nil {
		return nil, err
	}
	types, err := in.strList("AlarmTypes")
	if err != nil {
		return nil, err
	}
	state, err := in.str("StateValue")
	if err != nil {
		return nil, err
	}
	token, err := in.str("NextToken")
	if err != nil {
		return nil, err
	}
	maxRecords, err := in.int("MaxRecords")
	if err != nil {
		return nil, err
	}
	if len(names) > 0 && prefix != "" {
		return nil, errf("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be used together.")
	}
	if len(names) > 100 {
		return nil, errf("InvalidParameterValue", "The collection AlarmNames must not have a size greater than 100.")
	}
	if maxRecords < 0 || maxRecords > 100 {
		return nil, errf("InvalidParameterValue", "The parameter MaxRecords must be between 1 and 100.")
	}
	if state != "" && !slices.Contains(alarmStates, state) {
		return nil, errf("InvalidParameterValue", "The parameter StateValue must be one of %s.", strings.Join(alarmStates, ", "))
	}
	// Without AlarmTypes only metric alarms are returned; composite alarms
	// do not exist here.
	wantMetric := len(types) == 0 || slices.Contains(types, "MetricAlarm")

	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*alarm
	if wantMetric {
		for _, a := range s.cloudwatch.alarms {
			if len(names) > 0 && !slices.Contains(names, a.name) {
				continue
			}
			if prefix != "" && !strings.HasPrefix(a.name, prefix) {
				continue
			}
			if state != "" && a.state != state {
				continue
			}
			matched = append(matched, a)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].name < matched[j].name })
	page, next, ok := offsetPage(matched, token, maxRecords, 50)
	if !ok {
		return nil, errf("InvalidNextToken", "The service returned an invalid NextToken.")
	}
	alarms := cbor.List{}
	for _, a := range page {
		alarms = append(alarms, a.render())
	}
	out := cbor.Map{"MetricAlarms": alarms}
	if slices.Contains(types, "CompositeAlarm") {
		out["CompositeAlarms"] = cbor.List{}
	}
	if next != "" {
		out["NextToken"] = cbor.String(next)
	}
	return out, nil
}

// render is the MetricAlarm shape.
func (a *alarm) render() cbor.Map {
	return cbor.Map{
		"AlarmName":                          cbor.String(a.name),
		"AlarmArn":                           cbor.String(a.arn),
		"AlarmConfigurationUpdatedTimestamp": cborTime(a.configuredAt),
		"ActionsEnabled":                     cbor.Bool(true),
		"OKActions":                          cbor.List{},
		"AlarmActions":                       cbor.List{},
		"InsufficientDataActions":            cbor.List{},
		"StateValue":                         cbor.String(a.state),
		"StateReason":                        cbor.String(a.reason),
		"StateUpdatedTimestamp":              cborTime(a.updatedAt),
		"StateTransitionedTimestamp":         cborTime(a.transitionAt),
		"MetricName":                         cbor.String(a.metricName),
		"Namespace":                          cbor.String(a.namespace),
		"Statistic":                          cbor.String(a.statistic),
		"Dimensions": cbor.List{cbor.Map{
			"Name":  cbor.String(a.dimensionName),
			"Value": cbor.String("targetgroup/" + a.name + "/0123456789abcdef"),
		}},
		"Period":             cbor.Uint(a.period),
		"EvaluationPeriods":  cbor.Uint(a.evalPeriods),
		"DatapointsToAlarm":  cbor.Uint(a.evalPeriods),
		"Threshold":          cbor.Float64(a.threshold),
		"ComparisonOperator": cbor.String(a.comparisonOp),
		"TreatMissingData":   cbor.String(a.treatMissing),
	}
}
