package awssim

import (
	"strings"
	"time"
)

// The shapes of service deployments and revisions as the ECS API reference
// documents them and the aws-sdk-go-v2 ecs client deserializes them, and
// what DescribeServices shows of a service that plays them.

// renderServiceDeployment is a ServiceDeployment.
func (s *Sim) renderServiceDeployment(d *svcDeployment) map[string]any {
	sources := []map[string]any{}
	for _, st := range d.sources {
		sources = append(sources, st.render())
	}
	hooks := []map[string]any{}
	for _, r := range d.hooks {
		h := map[string]any{"hookId": r.id, "targetType": r.hook.TargetType, "status": r.status,
			"expiresAt": epoch(r.expiresAt), "timeoutAction": r.hook.TimeoutConfiguration.Action}
		if r.hook.TargetType == hookLambda {
			h["targetArn"] = r.hook.HookTargetArn
		}
		hooks = append(hooks, h)
	}
	out := map[string]any{
		"serviceDeploymentArn":    d.arn,
		"serviceArn":              d.svc.arn,
		"clusterArn":              d.svc.clusterArn,
		"createdAt":               epoch(d.createdAt),
		"updatedAt":               epoch(d.updatedAt),
		"status":                  d.status,
		"sourceServiceRevisions":  sources,
		"targetServiceRevision":   d.target.render(),
		"deploymentConfiguration": d.config,
		"lifecycleHookDetails":    hooks,
	}
	putTime(out, "startedAt", d.startedAt)
	putTime(out, "finishedAt", d.finishedAt)
	putTime(out, "stoppedAt", d.stoppedAt)
	putString(out, "statusReason", d.reason)
	putString(out, "lifecycleStage", d.stage)
	if d.rollback != nil {
		out["rollback"] = d.rollback
	}
	if a := d.config.Alarms; a != nil {
		out["alarms"] = map[string]any{"status": d.alarmStatus, "alarmNames": a.AlarmNames, "triggeredAlarmNames": nonNil(d.triggered)}
	}
	if cb := d.config.DeploymentCircuitBreaker; cb != nil {
		status := "DISABLED"
		if cb.Enable {
			status = "MONITORING"
			if d.terminal() {
				status = "MONITORING_COMPLETE"
			}
		}
		out["deploymentCircuitBreaker"] = map[string]any{"status": status, "failureCount": 0,
			"threshold": min(max((d.svc.desiredCount+1)/2, 3), 200)}
	}
	return out
}

// render is a ServiceRevisionSummary.
func (r *revState) render() map[string]any {
	out := map[string]any{"arn": r.rev.arn, "requestedTaskCount": r.requested,
		"runningTaskCount": r.running, "pendingTaskCount": r.pending}
	if r.prod != nil {
		out["requestedProductionTrafficWeight"] = *r.prod
	}
	if r.test != nil {
		out["requestedTestTrafficWeight"] = *r.test
	}
	return out
}

// renderDeploymentBrief is a ServiceDeploymentBrief.
func (s *Sim) renderDeploymentBrief(d *svcDeployment) map[string]any {
	out := map[string]any{
		"serviceDeploymentArn":     d.arn,
		"serviceArn":               d.svc.arn,
		"clusterArn":               d.svc.clusterArn,
		"createdAt":                epoch(d.createdAt),
		"targetServiceRevisionArn": d.target.rev.arn,
		"status":                   d.status,
	}
	putTime(out, "startedAt", d.startedAt)
	putTime(out, "finishedAt", d.finishedAt)
	putString(out, "statusReason", d.reason)
	return out
}

// renderServiceRevision is a ServiceRevision: the configuration it rolled
// out and, resolved, the target group its tasks serve from.
func (s *Sim) renderServiceRevision(rev *svcRevision) map[string]any {
	svc := rev.svc
	out := map[string]any{
		"serviceRevisionArn":    rev.arn,
		"serviceArn":            svc.arn,
		"clusterArn":            svc.clusterArn,
		"taskDefinition":        rev.taskDef,
		"loadBalancers":         nonNil(rev.lbs),
		"serviceRegistries":     []any{},
		"containerImages":       s.containerImagesLocked(rev.taskDef),
		"guardDutyEnabled":      false,
		"createdAt":             epoch(rev.createdAt),
		"resolvedConfiguration": map[string]any{"loadBalancers": rev.resolvedLoadBalancers()},
	}
	addLaunchFields(out, svc)
	return out
}

// resolvedLoadBalancers say where the revision's tasks really serve: its
// own target group, behind the production listener rule.
func (rev *svcRevision) resolvedLoadBalancers() []map[string]string {
	out := []map[string]string{}
	for _, lb := range rev.lbs {
		r := map[string]string{"targetGroupArn": rev.targetGroup}
		if a := lb.AdvancedConfiguration; a != nil {
			r["productionListenerRule"] = a.ProductionListenerRule
		}
		out = append(out, r)
	}
	return out
}

// containerImagesLocked lists a task definition's containers and images,
// with the digest when the image is a tag of the simulated ECR.
func (s *Sim) containerImagesLocked(taskDefArn string) []map[string]string {
	out := []map[string]string{}
	td := s.ecs.taskDefByRef(taskDefArn)
	if td == nil {
		return out
	}
	containers, _ := td.body["containerDefinitions"].([]any)
	for _, c := range containers {
		m, _ := c.(map[string]any)
		name, _ := m["name"].(string)
		image, _ := m["image"].(string)
		ci := map[string]string{"containerName": name, "image": image}
		if rest, ok := strings.CutPrefix(image, s.RepositoryURI("")); ok {
			repo, tag, _ := strings.Cut(rest, ":")
			if r := s.ecr.repos[repo]; r != nil {
				if img := r.find(ecrImageID{ImageTag: tag}); img != nil {
					ci["imageDigest"] = img.digest
				}
			}
		}
		out = append(out, ci)
	}
	return out
}

// renderNative adds to a Service what a service with service deployments
// shows: its configuration, the current deployment and revisions, and the
// legacy deployments (PRIMARY the revision the service runs, ACTIVE the
// others that still have tasks, ids ecs-svc/<revision id>).
func (s *Sim) renderNative(out map[string]any, svc *ecsService) {
	n := svc.native
	latest := n.latest()
	ongoing := !latest.terminal()
	current := []map[string]any{}
	deployments := []map[string]any{}
	for _, st := range n.visible() {
		current = append(current, map[string]any{"arn": st.rev.arn, "requestedTaskCount": st.requested,
			"runningTaskCount": st.running, "pendingTaskCount": st.pending})
		status, rollout := "ACTIVE", "COMPLETED"
		switch {
		case st.rev == n.primary:
			status = "PRIMARY"
			if ongoing {
				rollout = "IN_PROGRESS"
			}
		case ongoing && latest.mode != modeForward && st.rev == latest.target.rev:
			rollout = "FAILED"
		}
		dep := map[string]any{
			"id": "ecs-svc/" + st.rev.id, "status": status, "taskDefinition": st.rev.taskDef,
			"desiredCount": st.requested, "pendingCount": st.pending, "runningCount": st.running,
			"failedTasks": 0, "createdAt": epoch(st.rev.createdAt), "updatedAt": epoch(latest.updatedAt),
			"rolloutState": rollout, "rolloutStateReason": "ECS deployment ecs-svc/" + st.rev.id + " " + strings.ToLower(strings.ReplaceAll(rollout, "_", " ")) + ".",
		}
		addLaunchFields(dep, svc)
		deployments = append(deployments, dep)
	}
	out["deploymentConfiguration"] = n.config
	out["currentServiceDeployment"] = latest.arn
	out["currentServiceRevisions"] = current
	out["deployments"] = deployments
	out["taskDefinition"] = svc.taskDef
}

// visible are the live revisions the service shows, the primary first.
func (n *nativeService) visible() []*revState {
	out := []*revState{n.liveState(n.primary)}
	for _, st := range n.live {
		if st.rev != n.primary && st.hasTasks() {
			out = append(out, st)
		}
	}
	return out
}

// counts sums the tasks of the live revisions.
func (n *nativeService) counts() (running, pending int) {
	for _, st := range n.live {
		running += st.running
		pending += st.pending
	}
	return running, pending
}

func putTime(out map[string]any, key string, t time.Time) {
	if !t.IsZero() {
		out[key] = epoch(t)
	}
}

func putString(out map[string]any, key, v string) {
	if v != "" {
		out[key] = v
	}
}
