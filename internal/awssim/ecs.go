package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ecsState is the ECS part of the world: clusters with their services and
// task sets, and every registered task definition revision.
type ecsState struct {
	clusters map[string]*ecsCluster // by cluster name
	// taskDefs holds each family's revisions; revision N is taskDefs[family][N-1].
	taskDefs   map[string][]*taskDef
	taskSetSeq int64
	// native holds the service deployments (ecsdeploy*.go).
	native svcDeployState
}

type ecsCluster struct {
	name     string
	arn      string
	services map[string]*ecsService // by service name
}

// ecsService is one service. For a CODE_DEPLOY service, taskDefinition
// follows the PRIMARY task set.
type ecsService struct {
	name         string
	arn          string
	clusterArn   string
	controller   string // ECS | CODE_DEPLOY | EXTERNAL
	taskDef      string // ARN of the current task definition
	desiredCount int
	launchType   string
	platformVer  string
	// network is the service's networkConfiguration exactly as given.
	network       json.RawMessage
	loadBalancers []ecsLoadBalancer
	taskSets      []*ecsTaskSet
	createdAt     time.Time
	tags          []ecsTag
	// greenUnhealthy makes tasks of new task sets never become healthy.
	greenUnhealthy bool
	// native is set for a service that plays service deployments.
	native *nativeService
}

type ecsLoadBalancer struct {
	TargetGroupArn string `json:"targetGroupArn,omitempty"`
	ContainerName  string `json:"containerName,omitempty"`
	ContainerPort  int    `json:"containerPort,omitempty"`
	// AdvancedConfiguration is an ECS-native blue/green service's.
	AdvancedConfiguration *AdvancedConfiguration `json:"advancedConfiguration,omitempty"`
}

// ecsTaskSet is one task set of a CODE_DEPLOY service.
type ecsTaskSet struct {
	id      string // ecs-svc/<19 digits>
	arn     string
	taskDef string
	status  string // PRIMARY | ACTIVE | DRAINING
	// label is CodeDeploy's taskSetLabel for the set: Blue | Green.
	label           string
	stabilityStatus string // STEADY_STATE | STABILIZING
	externalID      string // the CodeDeploy deployment that made it
	scalePercent    float64
	trafficWeight   float64
	desired         int
	pending         int
	running         int
	targetGroupArn  string
	createdAt       time.Time
	updatedAt       time.Time
}

// taskDef is one task definition revision. body keeps every field exactly as
// registered (camelCase JSON, without the read-only ones), so nothing is lost.
type taskDef struct {
	arn          string
	family       string
	revision     int
	status       string // ACTIVE | INACTIVE
	body         map[string]any
	tags         []ecsTag
	registeredAt time.Time
	// deregisteredAt is set when the revision became INACTIVE.
	deregisteredAt time.Time
}

type ecsTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ecsTarget is the X-Amz-Target prefix of the ECS JSON 1.1 API.
const ecsTarget = "AmazonEC2ContainerServiceV20141113"

// registerECS prepares the ECS world and its operations.
func (s *Sim) registerECS() {
	s.ecs.clusters = map[string]*ecsCluster{}
	s.ecs.taskDefs = map[string][]*taskDef{}
	ops := map[string]func(context.Context, *request) (any, error){
		"ListClusters":             s.ecsListClusters,
		"DescribeClusters":         s.ecsDescribeClusters,
		"ListServices":             s.ecsListServices,
		"DescribeServices":         s.ecsDescribeServices,
		"UpdateService":            s.ecsUpdateService,
		"DescribeTaskSets":         s.ecsDescribeTaskSets,
		"RegisterTaskDefinition":   s.ecsRegisterTaskDefinition,
		"DescribeTaskDefinition":   s.ecsDescribeTaskDefinition,
		"DeregisterTaskDefinition": s.ecsDeregisterTaskDefinition,
		"ListTaskDefinitions":      s.ecsListTaskDefinitions,
	}
	for op, fn := range ops {
		s.handle(ecsTarget, "ecs", op, fn)
	}
	s.registerServiceDeployments()
}

// callerArn is the identity the simulator pretends every caller has; it
// shows up where AWS records who did something (registeredBy, createdBy).
func (s *Sim) callerArn() string {
	return "arn:aws:iam::" + s.account + ":user/switchyard"
}

// clusterArn is the ARN of the cluster named name.
func (s *Sim) clusterArn(name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", s.region, s.account, name)
}

// serviceArn is the long-format ARN of a service.
func (s *Sim) serviceArn(cluster, name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", s.region, s.account, cluster, name)
}

// service finds a service by cluster name (or ARN) and service name (or ARN).
func (st *ecsState) service(cluster, name string) *ecsService {
	c := st.clusters[lastSegment(cluster)]
	if c == nil {
		return nil
	}
	return c.services[lastSegment(name)]
}

// taskDefByRef finds a task definition by ARN, "family:revision" or
// "family" (the latest ACTIVE revision).
func (st *ecsState) taskDefByRef(ref string) *taskDef {
	ref = lastSegment(ref)
	family, rev, hasRev := strings.Cut(ref, ":")
	revs := st.taskDefs[family]
	if !hasRev {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i].status == "ACTIVE" {
				return revs[i]
			}
		}
		return nil
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(revs) {
		return nil
	}
	return revs[n-1]
}

// newTaskSet adds a task set running taskDefArn to svc, scaled to the
// service's desired count, with no traffic, and returns it.
func (s *Sim) newTaskSet(svc *ecsService, taskDefArn, externalID string, now time.Time) *ecsTaskSet {
	s.ecs.taskSetSeq++
	id := fmt.Sprintf("ecs-svc/%019d", 1000000000000000000+s.ecs.taskSetSeq)
	ts := &ecsTaskSet{
		id:              id,
		arn:             fmt.Sprintf("arn:aws:ecs:%s:%s:task-set/%s/%s/%s", s.region, s.account, lastSegment(svc.clusterArn), svc.name, id),
		taskDef:         taskDefArn,
		status:          "ACTIVE",
		stabilityStatus: "STABILIZING",
		externalID:      externalID,
		scalePercent:    100,
		desired:         svc.desiredCount,
		pending:         svc.desiredCount,
		createdAt:       now,
		updatedAt:       now,
	}
	if len(svc.loadBalancers) > 0 {
		ts.targetGroupArn = svc.loadBalancers[0].TargetGroupArn
	}
	svc.taskSets = append(svc.taskSets, ts)
	return ts
}

// lastSegment returns what follows the last "/" of an ARN, or s itself.
func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
