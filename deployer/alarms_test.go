package deployer_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/switchyard/switchyard"
)

func TestAlarmsReadsTheGroupsAlarmsInTwoCalls(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.sim.SetAlarm("web-5xx", "ALARM", "5xx above 1%"); err != nil {
		t.Fatal(err)
	}
	h.rec.take()
	got, err := h.d.Alarms(ctx, webEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := []switchyard.Alarm{{Name: "web-5xx", State: "ALARM"}, {Name: "web-p99", State: "INSUFFICIENT_DATA"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alarms %v, want %v", got, want)
	}
	if ops := h.rec.take(); !reflect.DeepEqual(ops, []string{"GetDeploymentGroup", "DescribeAlarms"}) {
		t.Errorf("calls %v", ops)
	}

	// A group that watches no alarm costs one call and gives none.
	got, err = h.d.Alarms(ctx, apiEnv)
	if err != nil || got != nil {
		t.Errorf("api alarms %v %v", got, err)
	}
	if ops := h.rec.take(); !reflect.DeepEqual(ops, []string{"GetDeploymentGroup"}) {
		t.Errorf("calls %v", ops)
	}
}

func TestAlarmsFailsWithASafeMessageWhenCloudWatchRefuses(t *testing.T) {
	h := newHarness(t)
	h.sim.Deny("cloudwatch:DescribeAlarms")
	got, err := h.d.Alarms(context.Background(), webEnv)
	if got != nil {
		t.Errorf("alarms %v", got)
	}
	se := errorCode(t, err, switchyard.EFORBIDDEN)
	if se.Message != "Could not read the CloudWatch alarms of web-prod: the bot's AWS role is not allowed to do that (AccessDenied)." {
		t.Errorf("message %q", se.Message)
	}
}
