package awssim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// TestHundredServicesDeployAtOnce creates a hundred deployments
// concurrently over HTTP, stops and alarms some while traffic shifts, and
// checks that each service ends in its own right state.
func TestHundredServicesDeployAtOnce(t *testing.T) {
	const n = 100
	w := World{Clusters: []ClusterSeed{{Name: "prod"}}}
	for i := range n {
		name := fmt.Sprintf("svc%03d", i)
		w.Clusters[0].Services = append(w.Clusters[0].Services, serviceSeed(name))
		w.Alarms = append(w.Alarms, AlarmSeed{Name: name + "-5xx"})
		w.Applications = append(w.Applications, ApplicationSeed{Name: "app-" + name, DeploymentGroups: []DeploymentGroupSeed{
			groupSeed("grp-"+name, name, withRollback("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"), func(g *DeploymentGroupSeed) {
				g.DeploymentConfig = "CodeDeployDefault.ECSCanary10Percent5Minutes"
				g.Alarms = []string{name + "-5xx"}
			})}})
	}
	f := newCDFixture(t, w)
	// Outcomes by i%5: 0 succeeds, 1 fails a hook and rolls back, 2 never gets
	// a healthy green (Failed, rolled back), 3 is stopped with rollback
	// mid-shift, 4 is stopped by its own alarm mid-shift.
	specs := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("svc%03d", i)
		specs[i] = appSpecYAML(f.registerTD(name, "v2"))
		switch i % 5 {
		case 1:
			f.sim.FailNextDeployment("app-"+name, "AfterInstall", "migration check failed")
		case 2:
			f.sim.SetGreenUnhealthy("prod", name, true)
		}
	}
	ids := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			name := fmt.Sprintf("svc%03d", i)
			out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("app-" + name),
				DeploymentGroupName: aws.String("grp-" + name), Revision: contentRevision(specs[i])})
			if err == nil {
				ids[i] = aws.ToString(out.DeploymentId)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	f.advanceTo(allowTrafficAt + time.Minute)
	for i := range n {
		go func() {
			var err error
			switch i % 5 {
			case 3:
				_, err = f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(ids[i]), AutoRollbackEnabled: aws.Bool(true)})
			case 4:
				err = f.sim.SetAlarm(fmt.Sprintf("svc%03d-5xx", i), "ALARM", "errors")
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	f.sim.Advance(30 * time.Minute)
	want := []struct {
		status types.DeploymentStatus
		code   types.ErrorCode
		events []string
	}{
		{types.DeploymentStatusSucceeded, "", []string{"START", "SUCCESS"}},
		{types.DeploymentStatusFailed, types.ErrorCodeHookExecutionFailure, []string{"START", "FAILURE"}},
		{types.DeploymentStatusFailed, types.ErrorCodeEcsUpdateError, []string{"START", "FAILURE"}},
		{types.DeploymentStatusStopped, types.ErrorCodeManualStop, []string{"START", "STOP"}},
		{types.DeploymentStatusStopped, types.ErrorCodeAlarmActive, []string{"START", "STOP"}},
	}
	events := f.allDeploymentEvents()
	for i := range n {
		name := fmt.Sprintf("svc%03d", i)
		w := want[i%5]
		info := f.info(ids[i])
		if info.Status != w.status || (w.code != "" && (info.ErrorInformation == nil || info.ErrorInformation.Code != w.code)) ||
			aws.ToString(info.ApplicationName) != "app-"+name {
			t.Fatalf("%s: %s %+v", name, info.Status, info.ErrorInformation)
		}
		if got := events[ids[i]]; !slices.Equal(got, w.events) {
			t.Fatalf("%s events: %v", name, got)
		}
		td, sets := f.serviceState(name)
		if i%5 == 0 {
			if !slices.Equal(sets, []string{name + ":2:PRIMARY:100"}) || !strings.HasSuffix(td, name+":2") {
				t.Fatalf("%s after success: %s %v", name, td, sets)
			}
			continue
		}
		if !slices.Equal(sets, []string{name + ":1:PRIMARY:100"}) || !strings.HasSuffix(td, name+":1") {
			t.Fatalf("%s after rollback: %s %v", name, td, sets)
		}
		rb := f.info(aws.ToString(info.RollbackInfo.RollbackDeploymentId))
		if rb.Status != types.DeploymentStatusSucceeded || aws.ToString(rb.DeploymentGroupName) != "grp-"+name ||
			aws.ToString(rb.RollbackInfo.RollbackTriggeringDeploymentId) != ids[i] {
			t.Fatalf("%s rollback: %s %+v", name, rb.Status, rb.RollbackInfo)
		}
	}
}
