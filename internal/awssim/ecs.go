package awssim

import (
	"encoding/json"
	"time"
)

// ecsState is the ECS part of the world: clusters with their services and
// task sets, and every registered task definition revision.
type ecsState struct {
	clusters map[string]*ecsCluster // by cluster name
	// taskDefs holds each family's revisions; revision N is taskDefs[family][N-1].
	taskDefs   map[string][]*taskDef
	taskSetSeq int64
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
	// greenUnhealthy makes tasks of new task sets never become healthy.
	greenUnhealthy bool
}

type ecsLoadBalancer struct {
	TargetGroupArn string `json:"targetGroupArn,omitempty"`
	ContainerName  string `json:"containerName,omitempty"`
	ContainerPort  int    `json:"containerPort,omitempty"`
}

// ecsTaskSet is one task set of a CODE_DEPLOY service.
type ecsTaskSet struct {
	id              string // ecs-svc/<19 digits>
	arn             string
	taskDef         string
	status          string // PRIMARY | ACTIVE | DRAINING
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
}

type ecsTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (s *Sim) registerECS() {}
