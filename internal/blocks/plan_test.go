package blocks

import (
	"strings"
	"testing"

	sy "github.com/switchyard/switchyard"
)

func TestPlanWords(t *testing.T) {
	for want, shape := range map[string]sy.TrafficShape{
		"all traffic at once":                               {Type: sy.RoutingAllAtOnce},
		"10% every 1 minute, all traffic after 9 minutes":   {Type: sy.RoutingLinear, Percent: 10, IntervalMinutes: 1},
		"30% every 2 minutes, all traffic after 6 minutes":  {Type: sy.RoutingLinear, Percent: 30, IntervalMinutes: 2},
		"10% every 3 minutes, all traffic after 27 minutes": {Type: sy.RoutingLinear, Percent: 10, IntervalMinutes: 3},
		"25% first, all traffic after 1 minute":             {Type: sy.RoutingCanary, Percent: 25, IntervalMinutes: 1},
	} {
		if got := TrafficWords(shape); got != want {
			t.Errorf("%+v: %q, want %q", shape, got, want)
		}
	}
	for want, w := range map[string]sy.ReadyWait{
		"traffic moves as soon as green is ready":                         {},
		"waits up to 30 minutes for someone to shift traffic, then stops": {Manual: true, Minutes: 30},
	} {
		if got := readyWaitWords(w); got != want {
			t.Errorf("%+v: %q", w, got)
		}
	}
	for want, term := range map[string]sy.Termination{
		"blue is kept running after success":                                       {},
		"blue is deleted right after success":                                      {Terminate: true},
		"blue is kept 60 minutes after success for a quick rollback, then deleted": {Terminate: true, WaitMinutes: 60},
	} {
		if got := terminationWords(term); got != want {
			t.Errorf("%+v: %q", term, got)
		}
	}
}

// Every fact of a plan that a person should weigh becomes a note, and the
// alarms that fire are named, not printed as a Go value.
func TestPlanNotes(t *testing.T) {
	plan := &sy.Plan{
		Image:       sy.ImageCheck{ECR: true, Checked: true, Repository: "myapp"},
		LBContainer: "envoy", LBPort: 10000, ConfiguredLB: "web:8080",
		Hooks:        map[string]string{sy.AfterAllowTestTraffic: "smoke"},
		Alarms:       []sy.Alarm{{Name: "myapp-5xx", State: sy.AlarmFiring}, {Name: "myapp-p99", State: sy.AlarmOK}},
		AlarmsUnread: false,
	}
	got := strings.Join(planNotes(plan), "\n")
	for _, want := range []string{"Found in ECR repository myapp.", "sends traffic to envoy:10000, not to the configured web:8080",
		"no test listener"} {
		if !strings.Contains(got, want) {
			t.Errorf("notes lack %q:\n%s", want, got)
		}
	}
	// A firing alarm is no note among others: it leads the card.
	if strings.Contains(got, "firing") {
		t.Errorf("a firing alarm is a plain note:\n%s", got)
	}
	warnings := strings.Join(ConfirmationOf(sy.Pending{}, plan).Warnings, "\n")
	if !strings.Contains(warnings, "Alarm `myapp-5xx` is firing") || strings.Contains(warnings, "[") {
		t.Errorf("warnings do not name the firing alarm as text:\n%s", warnings)
	}
	outside := &sy.Plan{Image: sy.ImageCheck{TagUnchecked: "v1.5"}, AlarmsUnread: true}
	got = strings.Join(planNotes(outside), "\n")
	for _, want := range []string{"Not an ECR image", "The tag v1.5 could not be checked", "Could not read the alarm states"} {
		if !strings.Contains(got, want) {
			t.Errorf("notes lack %q:\n%s", want, got)
		}
	}
}
