package awssim

import "slices"

// Rendering of ECS clusters, services and task sets in the shapes the ECS
// API reference documents and the aws-sdk-go-v2 ecs client deserializes.

func (s *Sim) renderCluster(c *ecsCluster, withTags bool) map[string]any {
	running, pending := 0, 0
	for _, svc := range c.services {
		r, p := svc.counts()
		running += r
		pending += p
	}
	out := map[string]any{
		"clusterArn":                        c.arn,
		"clusterName":                       c.name,
		"status":                            "ACTIVE",
		"registeredContainerInstancesCount": 0,
		"runningTasksCount":                 running,
		"pendingTasksCount":                 pending,
		"activeServicesCount":               len(c.services),
		"statistics":                        []any{},
		"settings":                          []map[string]string{{"name": "containerInsights", "value": "disabled"}},
		"capacityProviders":                 []string{"FARGATE", "FARGATE_SPOT"},
		"defaultCapacityProviderStrategy":   []any{},
	}
	if withTags {
		out["tags"] = []ecsTag{}
	}
	return out
}

// renderService is the Service shape of DescribeServices and UpdateService.
func (s *Sim) renderService(svc *ecsService, withTags bool) map[string]any {
	running, pending := svc.counts()
	out := map[string]any{
		"serviceArn":           svc.arn,
		"serviceName":          svc.name,
		"clusterArn":           svc.clusterArn,
		"loadBalancers":        nonNil(slices.Clone(svc.loadBalancers)),
		"serviceRegistries":    []any{},
		"status":               "ACTIVE",
		"desiredCount":         svc.desiredCount,
		"runningCount":         running,
		"pendingCount":         pending,
		"taskDefinition":       svc.currentTaskDef(),
		"events":               []any{},
		"createdAt":            epoch(svc.createdAt),
		"placementConstraints": []any{},
		"placementStrategy":    []any{},
		"schedulingStrategy":   "REPLICA",
		"deploymentController": map[string]string{"type": svc.controller},
		"createdBy":            s.callerArn(),
		"enableECSManagedTags": false,
		"propagateTags":        "NONE",
		"enableExecuteCommand": false,
		"deploymentConfiguration": map[string]any{
			"maximumPercent":        200,
			"minimumHealthyPercent": 100,
		},
	}
	addLaunchFields(out, svc)
	if withTags {
		out["tags"] = nonNil(svc.tags)
	}
	if svc.controller == "CODE_DEPLOY" || svc.controller == "EXTERNAL" {
		sets := []map[string]any{}
		for _, ts := range svc.taskSets {
			sets = append(sets, s.renderTaskSet(svc, ts, false))
		}
		out["taskSets"] = sets
		out["deployments"] = []any{}
		return out
	}
	if svc.isNative() {
		s.renderNative(out, svc)
		return out
	}
	out["deployments"] = []map[string]any{{
		"id":                 "ecs-svc/" + svcDeploymentID(svc),
		"status":             "PRIMARY",
		"taskDefinition":     svc.taskDef,
		"desiredCount":       svc.desiredCount,
		"pendingCount":       0,
		"runningCount":       svc.desiredCount,
		"failedTasks":        0,
		"createdAt":          epoch(svc.createdAt),
		"updatedAt":          epoch(svc.createdAt),
		"launchType":         svc.launchType,
		"rolloutState":       "COMPLETED",
		"rolloutStateReason": "ECS deployment ecs-svc/" + svcDeploymentID(svc) + " completed.",
	}}
	return out
}

// svcDeploymentID gives an ECS-controller service a stable deployment id.
func svcDeploymentID(svc *ecsService) string {
	return digits19(svc.arn + "|" + svc.taskDef)
}

// renderTaskSet is the TaskSet shape of DescribeServices and DescribeTaskSets.
func (s *Sim) renderTaskSet(svc *ecsService, ts *ecsTaskSet, withTags bool) map[string]any {
	lbs := []ecsLoadBalancer{}
	for _, lb := range svc.loadBalancers {
		if ts.targetGroupArn != "" {
			lb.TargetGroupArn = ts.targetGroupArn
		}
		lbs = append(lbs, lb)
	}
	out := map[string]any{
		"id":                   ts.id,
		"taskSetArn":           ts.arn,
		"serviceArn":           svc.arn,
		"clusterArn":           svc.clusterArn,
		"status":               ts.status,
		"taskDefinition":       ts.taskDef,
		"computedDesiredCount": ts.desired,
		"pendingCount":         ts.pending,
		"runningCount":         ts.running,
		"createdAt":            epoch(ts.createdAt),
		"updatedAt":            epoch(ts.updatedAt),
		"loadBalancers":        lbs,
		"serviceRegistries":    []any{},
		"scale":                map[string]any{"value": ts.scalePercent, "unit": "PERCENT"},
		"stabilityStatus":      ts.stabilityStatus,
		"stabilityStatusAt":    epoch(ts.updatedAt),
	}
	if ts.externalID != "" {
		out["externalId"] = ts.externalID
		out["startedBy"] = "CodeDeploy"
	}
	addLaunchFields(out, svc)
	if withTags {
		out["tags"] = []ecsTag{}
	}
	return out
}

// addLaunchFields adds the launch type, platform and network members that
// a service and each of its task sets answer alike.
func addLaunchFields(out map[string]any, svc *ecsService) {
	if svc.launchType != "" {
		out["launchType"] = svc.launchType
	}
	if svc.launchType == "FARGATE" {
		out["platformVersion"] = svc.platformVer
		out["platformFamily"] = "Linux"
	}
	if len(svc.network) > 0 {
		out["networkConfiguration"] = svc.network
	}
}
