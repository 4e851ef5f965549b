package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
)

func TestCloudWatchDescribeAlarms(t *testing.T) {
	s, cfg := startWorldSim(t)
	ctx := context.Background()
	c := cloudwatch.NewFromConfig(cfg)
	seeded := s.Clock().Now()

	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-5xx"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("alarms = %+v", out.MetricAlarms)
	}
	a := out.MetricAlarms[0]
	if aws.ToString(a.AlarmName) != "web-5xx" || a.StateValue != cwtypes.StateValueOk ||
		aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx" ||
		a.StateUpdatedTimestamp == nil || !a.StateUpdatedTimestamp.Equal(seeded) ||
		aws.ToString(a.MetricName) == "" || aws.ToInt32(a.Period) != 60 || a.ComparisonOperator == "" {
		t.Errorf("alarm = %+v", a)
	}

	// The alarm goes off a little later; DescribeAlarms and the engine's
	// view both see it.
	s.clock.set(seeded.Add(90*time.Second + 250*time.Millisecond))
	if err := s.SetAlarm("web-5xx", "ALARM", "Threshold Crossed: 1 datapoint [7.0] was greater than the threshold (1.0)."); err != nil {
		t.Fatal(err)
	}
	out, err = c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 || out.MetricAlarms[0].StateValue != cwtypes.StateValueAlarm ||
		!out.MetricAlarms[0].StateUpdatedTimestamp.Equal(s.Clock().Now()) ||
		aws.ToString(out.MetricAlarms[0].StateReason) == "" {
		t.Errorf("alarms in ALARM = %+v", out.MetricAlarms)
	}
	s.mu.Lock()
	st, missing := s.alarmStateLocked("web-5xx"), s.alarmStateLocked("nope")
	s.mu.Unlock()
	if st != "ALARM" || missing != "" {
		t.Errorf("alarmStateLocked = %q, %q", st, missing)
	}

	if err := s.SetAlarm("web-5xx", "RED", ""); err == nil {
		t.Error("SetAlarm accepted state RED")
	}
	if err := s.SetAlarm("nope", "OK", ""); err == nil {
		t.Error("SetAlarm accepted an unknown alarm")
	}

	// Paging by one over all alarms, a created one included.
	s.PutAlarm("api-errors")
	var names []string
	p := cloudwatch.NewDescribeAlarmsPaginator(c, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.MetricAlarms {
			names = append(names, aws.ToString(a.AlarmName))
		}
	}
	if len(names) != 3 || names[0] != "api-errors" || names[2] != "web-latency" {
		t.Errorf("paged names = %v", names)
	}

	_, err = c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("bogus")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidNextToken" {
		t.Errorf("err = %v, want InvalidNextToken", err)
	}
}

// TestCloudWatchWire checks the protocol itself: CBOR in and out, the
// smithy-protocol header, and CBOR errors.
func TestCloudWatchWire(t *testing.T) {
	s, _ := startWorldSim(t)
	post := func(op string, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL()+cborPathPrefix+op, bytes.NewReader(body))
		req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		req.Header.Set("Content-Type", "application/cbor")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	read := func(resp *http.Response) cbor.Map {
		t.Helper()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		v, err := cbor.Decode(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return v.(cbor.Map)
	}

	resp := post("DescribeAlarms", cbor.Encode(cbor.Map{"AlarmNamePrefix": cbor.String("web-l")}))
	if resp.StatusCode != 200 || resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" ||
		resp.Header.Get("Content-Type") != "application/cbor" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	alarms := read(resp)["MetricAlarms"].(cbor.List)
	if len(alarms) != 1 {
		t.Fatalf("alarms = %v", alarms)
	}
	ts, ok := alarms[0].(cbor.Map)["StateUpdatedTimestamp"].(*cbor.Tag)
	if !ok || ts.ID != 1 {
		t.Errorf("StateUpdatedTimestamp = %#v, want tag 1", alarms[0].(cbor.Map)["StateUpdatedTimestamp"])
	}

	resp = post("DescribeAlarms", []byte{0xff, 0x00})
	if resp.StatusCode != 400 || read(resp)["__type"] == nil {
		t.Errorf("garbage body: status %d", resp.StatusCode)
	}
	resp = post("FlyToTheMoon", nil)
	if resp.StatusCode != 404 {
		t.Errorf("unknown operation: status %d", resp.StatusCode)
	}
}

// TestCloudWatchJSON covers the AWS JSON 1.0 protocol botocore (and so the
// AWS CLI) uses for CloudWatch.
func TestCloudWatchJSON(t *testing.T) {
	s, _ := startWorldSim(t)
	post := func(body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.DescribeAlarms")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amzn-Query-Mode", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp, out
	}

	resp, out := post(`{"AlarmNames":["web-5xx"],"MaxRecords":10}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	alarms, _ := out["MetricAlarms"].([]any)
	if len(alarms) != 1 {
		t.Fatalf("answer = %v", out)
	}
	a := alarms[0].(map[string]any)
	ts, isNumber := a["StateUpdatedTimestamp"].(float64)
	if a["StateValue"] != "OK" || !isNumber || int64(ts) != s.Clock().Now().Unix() || a["Period"] != float64(60) {
		t.Errorf("alarm = %v", a)
	}

	s.SetThrottle("monitoring", 1)
	resp, out = post(`{}`)
	if resp.StatusCode != 400 || out["__type"] != "ThrottlingException" ||
		resp.Header.Get("X-Amzn-Query-Error") != "Throttling;Sender" {
		t.Errorf("throttled: status %d body %v query error %q", resp.StatusCode, out, resp.Header.Get("X-Amzn-Query-Error"))
	}
}
