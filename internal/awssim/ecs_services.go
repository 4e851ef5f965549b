package awssim

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
)

// ECS cluster and service operations. Shapes follow the ECS API reference
// and the members the aws-sdk-go-v2 ecs client deserializes.

type ecsFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

func errClusterNotFound() *apiError { return errf("ClusterNotFoundException", "Cluster not found.") }
func errServiceNotFound() *apiError { return errf("ServiceNotFoundException", "Service not found.") }

// cluster finds a cluster by name or ARN; "" is the default cluster.
func (st *ecsState) cluster(ref string) *ecsCluster {
	if ref == "" {
		ref = "default"
	}
	return st.clusters[lastSegment(ref)]
}

// clusterService finds a service of a cluster as the ECS calls that name
// both do: ClusterNotFoundException for the cluster ("" is the default),
// then ServiceNotFoundException for the service.
func (st *ecsState) clusterService(cluster, service string) (*ecsService, *apiError) {
	c := st.cluster(cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	svc := c.services[lastSegment(service)]
	if svc == nil {
		return nil, errServiceNotFound()
	}
	return svc, nil
}

// sortedClusters lists clusters by name so that answers are stable.
func (st *ecsState) sortedClusters() []*ecsCluster {
	out := make([]*ecsCluster, 0, len(st.clusters))
	for _, c := range st.clusters {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (c *ecsCluster) sortedServices() []*ecsService {
	out := make([]*ecsService, 0, len(c.services))
	for _, svc := range c.services {
		out = append(out, svc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Sim) ecsListClusters(_ context.Context, req *request) (any, error) {
	var in struct {
		NextToken  string `json:"nextToken"`
		MaxResults int    `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arns := []string{}
	for _, c := range s.ecs.sortedClusters() {
		arns = append(arns, c.arn)
	}
	page, next, ok := offsetPage(arns, in.NextToken, in.MaxResults, 100)
	if !ok {
		return nil, errf("InvalidParameterException", "Invalid nextToken.")
	}
	return withToken(map[string]any{"clusterArns": page}, "nextToken", next), nil
}

func (s *Sim) ecsDescribeClusters(_ context.Context, req *request) (any, error) {
	var in struct {
		Clusters []string `json:"clusters"`
		Include  []string `json:"include"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.Clusters) == 0 {
		in.Clusters = []string{"default"}
	}
	if len(in.Clusters) > 100 {
		return nil, errf("InvalidParameterException", "clusters can have at most 100 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	failures := []ecsFailure{}
	for _, ref := range in.Clusters {
		c := s.ecs.cluster(ref)
		if c == nil {
			failures = append(failures, ecsFailure{Arn: s.clusterArn(lastSegment(ref)), Reason: "MISSING"})
			continue
		}
		out = append(out, s.renderCluster(c, slices.Contains(in.Include, "TAGS")))
	}
	return map[string]any{"clusters": out, "failures": failures}, nil
}

// counts sums the running and pending tasks of the service: over its task
// sets for a CODE_DEPLOY service, else the desired count, all running.
func (svc *ecsService) counts() (running, pending int) {
	if svc.isNative() {
		return svc.native.counts()
	}
	if svc.controller != "CODE_DEPLOY" && svc.controller != "EXTERNAL" {
		return svc.desiredCount, 0
	}
	for _, ts := range svc.taskSets {
		running += ts.running
		pending += ts.pending
	}
	return running, pending
}

// currentTaskDef is the task definition the service reports: the PRIMARY
// task set's when there is one.
func (svc *ecsService) currentTaskDef() string {
	for _, ts := range svc.taskSets {
		if ts.status == "PRIMARY" {
			return ts.taskDef
		}
	}
	return svc.taskDef
}

func (s *Sim) ecsListServices(_ context.Context, req *request) (any, error) {
	var in struct {
		Cluster            string `json:"cluster"`
		LaunchType         string `json:"launchType"`
		SchedulingStrategy string `json:"schedulingStrategy"`
		NextToken          string `json:"nextToken"`
		MaxResults         int    `json:"maxResults"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.MaxResults > 100 {
		return nil, errf("InvalidParameterException", "maxResults must be between 1 and 100.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ecs.cluster(in.Cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	arns := []string{}
	for _, svc := range c.sortedServices() {
		if in.LaunchType != "" && svc.launchType != in.LaunchType {
			continue
		}
		if in.SchedulingStrategy != "" && in.SchedulingStrategy != "REPLICA" {
			continue
		}
		arns = append(arns, svc.arn)
	}
	page, next, ok := offsetPage(arns, in.NextToken, in.MaxResults, 10)
	if !ok {
		return nil, errf("InvalidParameterException", "Invalid nextToken.")
	}
	return withToken(map[string]any{"serviceArns": page}, "nextToken", next), nil
}

func (s *Sim) ecsDescribeServices(_ context.Context, req *request) (any, error) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
		Include  []string `json:"include"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.Services) == 0 {
		return nil, errf("InvalidParameterException", "Services cannot be empty.")
	}
	if len(in.Services) > 10 {
		return nil, errf("InvalidParameterException", "Too many services provided. Maximum of 10 services may be described.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUpLocked()
	c := s.ecs.cluster(in.Cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	out := []map[string]any{}
	failures := []ecsFailure{}
	for _, ref := range in.Services {
		svc := c.services[lastSegment(ref)]
		if svc == nil {
			failures = append(failures, ecsFailure{Arn: s.serviceArn(c.name, lastSegment(ref)), Reason: "MISSING"})
			continue
		}
		out = append(out, s.renderService(svc, slices.Contains(in.Include, "TAGS")))
	}
	return map[string]any{"services": out, "failures": failures}, nil
}

func (s *Sim) ecsDescribeTaskSets(_ context.Context, req *request) (any, error) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Service  string   `json:"service"`
		TaskSets []string `json:"taskSets"`
		Include  []string `json:"include"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, aerr := s.ecs.clusterService(in.Cluster, in.Service)
	if aerr != nil {
		return nil, aerr
	}
	if svc.controller != "CODE_DEPLOY" && svc.controller != "EXTERNAL" {
		return nil, errf("InvalidParameterException",
			"Amazon ECS only supports task set management on services configured to use external deployment controllers.")
	}
	withTags := slices.Contains(in.Include, "TAGS")
	out := []map[string]any{}
	failures := []ecsFailure{}
	if len(in.TaskSets) == 0 {
		for _, ts := range svc.taskSets {
			out = append(out, s.renderTaskSet(svc, ts, withTags))
		}
		return map[string]any{"taskSets": out, "failures": failures}, nil
	}
	for _, ref := range in.TaskSets {
		var found *ecsTaskSet
		for _, ts := range svc.taskSets {
			if ts.arn == ref || ts.id == ref || lastSegment(ts.id) == lastSegment(ref) {
				found = ts
				break
			}
		}
		if found == nil {
			failures = append(failures, ecsFailure{Arn: ref, Reason: "MISSING"})
			continue
		}
		out = append(out, s.renderTaskSet(svc, found, withTags))
	}
	return map[string]any{"taskSets": out, "failures": failures}, nil
}

func (s *Sim) ecsUpdateService(_ context.Context, req *request) (any, error) {
	var in struct {
		Cluster                  string          `json:"cluster"`
		Service                  string          `json:"service"`
		DesiredCount             *int            `json:"desiredCount"`
		TaskDefinition           *string         `json:"taskDefinition"`
		ForceNewDeployment       bool            `json:"forceNewDeployment"`
		NetworkConfiguration     json.RawMessage `json:"networkConfiguration"`
		PlatformVersion          *string         `json:"platformVersion"`
		LoadBalancers            json.RawMessage `json:"loadBalancers"`
		CapacityProviderStrategy json.RawMessage `json:"capacityProviderStrategy"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, errf("InvalidParameterException", "Desired count must be greater than or equal to 0.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUpLocked()
	svc, aerr := s.ecs.clusterService(in.Cluster, in.Service)
	if aerr != nil {
		return nil, aerr
	}
	now := s.clock.Now()
	if out, ok, err := s.nativeUpdateLocked(svc, req, now); ok {
		return out, err
	}
	if svc.controller == "CODE_DEPLOY" {
		// AWS's rule: with CodeDeploy in charge, only counts and
		// scheduling options change here; anything that needs new tasks
		// must be a CodeDeploy deployment.
		const useCD = " on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."
		switch {
		case in.TaskDefinition != nil:
			return nil, errf("InvalidParameterException", "Unable to update task definition"+useCD)
		case len(in.NetworkConfiguration) > 0 && string(in.NetworkConfiguration) != "null":
			return nil, errf("InvalidParameterException", "Unable to update network parameters"+useCD)
		case in.PlatformVersion != nil:
			return nil, errf("InvalidParameterException", "Unable to update platform version"+useCD)
		case len(in.LoadBalancers) > 0 && string(in.LoadBalancers) != "null":
			return nil, errf("InvalidParameterException", "Unable to update load balancers"+useCD)
		case in.ForceNewDeployment:
			return nil, errf("InvalidParameterException", "Unable to force a new deployment"+useCD)
		}
	} else if in.TaskDefinition != nil {
		td := s.ecs.taskDefByRef(*in.TaskDefinition)
		if td == nil || td.status != "ACTIVE" {
			return nil, errf("ClientException", "TaskDefinition not found.")
		}
		svc.taskDef = td.arn
	}
	if in.DesiredCount != nil {
		svc.desiredCount = *in.DesiredCount
		for _, ts := range svc.taskSets {
			ts.desired = scaledCount(svc.desiredCount, ts.scalePercent)
			if ts.stabilityStatus == "STEADY_STATE" {
				ts.running, ts.pending = ts.desired, 0
			} else {
				ts.pending = max(ts.desired-ts.running, 0)
			}
			ts.updatedAt = now
		}
	}
	return map[string]any{"service": s.renderService(svc, false)}, nil
}

// scaledCount is a task set's computed desired count: the service's desired
// count times the set's scale, rounded up as ECS does.
func scaledCount(desired int, percent float64) int {
	n := float64(desired) * percent / 100
	c := int(n)
	if float64(c) < n {
		c++
	}
	return c
}

// nonNil makes a nil slice marshal as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
