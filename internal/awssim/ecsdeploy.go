package awssim

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// ECS-native blue/green, linear and canary deployments: a service run by
// the ECS deployment controller with one of those strategies gets a service
// deployment from UpdateService, played on the simulated clock by the same
// engine loop as CodeDeploy's (engine.go picks the earliest due of both).
// One file per concern: configuration (ecsdeploy_config.go), starting and
// superseding (ecsdeploy_start.go), the plan of moves and how each plays
// (ecsdeploy_moves.go), hooks (ecsdeploy_hooks.go), how deployments end
// (ecsdeploy_end.go), the API (ecsdeploy_api.go) and its shapes
// (ecsdeploy_render.go).

// svcDeployState indexes every service deployment and revision by ARN and
// holds the deployments the engine still plays.
type svcDeployState struct {
	byArn     map[string]*svcDeployment
	revisions map[string]*svcRevision
	active    []*svcDeployment // in creation order
	seq       int64
}

// nativeService is what a service run by the ECS controller with a
// BLUE_GREEN, LINEAR or CANARY strategy has beyond the plain service.
type nativeService struct {
	config      DeploymentConfiguration // normalized
	deployments []*svcDeployment        // creation order
	// live are the revisions that have tasks or traffic now, with their
	// counts and weights; an ongoing deployment's summaries point at them.
	live []*revState
	// primary is the revision the service's taskDefinition names: the
	// target of the latest deployment, or what a rollback returns to.
	primary *svcRevision
	// stable is the revision of the last deployment that ended well: what
	// a rollback returns to.
	stable *svcRevision
	fault  *svcFault
}

// svcRevision is a service revision: the configuration one deployment
// rolls out. Its id is the digits of the legacy deployment id ecs-svc/<id>.
type svcRevision struct {
	arn, id     string
	svc         *ecsService
	taskDef     string
	targetGroup string // the target group its tasks register in
	lbs         []ecsLoadBalancer
	createdAt   time.Time
}

// revState is a revision's tasks and requested traffic weights (nil while
// none was ever requested), as a ServiceRevisionSummary shows them.
type revState struct {
	rev                         *svcRevision
	requested, running, pending int
	prod, test                  *float64
}

func (r *revState) clone() *revState {
	c := *r
	c.prod, c.test = clonePtr(r.prod), clonePtr(r.test)
	return &c
}

func (r *revState) hasTasks() bool { return r.requested > 0 || r.running > 0 || r.pending > 0 }

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// deployMode is which way a deployment is going.
type deployMode int

const (
	modeForward  deployMode = iota
	modeRollback            // ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS
	modeStop                // STOP_REQUESTED: back to the source without hooks
)

// svcDeployment is one service deployment.
type svcDeployment struct {
	seq    int64
	arn    string
	svc    *ecsService
	config DeploymentConfiguration // as it was when the deployment started
	status string
	reason string
	stage  string // lifecycleStage; "" until the first stage

	createdAt, startedAt, finishedAt, stoppedAt, updatedAt time.Time

	sources    []*revState
	target     *revState
	rollbackTo *svcRevision
	rollback   *rollbackOut
	// hooks are the executions of the latest stage that ran hooks;
	// allHooks every execution of the deployment, by hookId.
	hooks       []*hookRun
	allHooks    map[string]*hookRun
	alarmStatus string
	triggered   []string
	// baseProd are the sources' production weights when the deployment
	// started: the forward steps take from them in proportion.
	baseProd []float64

	// Engine state.
	mode    deployMode
	plan    []move
	cur     int
	due     time.Time
	shiftAt time.Time // when production traffic last moved
	moveAt  time.Time // when the current move started
	// moveRuns are the hook executions the current move started.
	moveRuns []*hookRun
	fault    *svcFault
}

type rollbackOut struct {
	Reason             string `json:"reason"`
	StartedAt          epoch  `json:"startedAt"`
	ServiceRevisionArn string `json:"serviceRevisionArn"`
}

// terminal reports whether the deployment has completed.
func (d *svcDeployment) terminal() bool {
	switch d.status {
	case "SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED":
		return true
	}
	return false
}

// ecsDeploymentStatuses is AWS's ServiceDeploymentStatus enum.
var ecsDeploymentStatuses = []string{"PENDING", "SUCCESSFUL", "STOPPED", "STOP_REQUESTED", "IN_PROGRESS",
	"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}

// registerServiceDeployments adds the service deployment operations to ECS.
// They run through cdOp, as CodeDeploy's do: the world lock held and what
// fell due played first.
func (s *Sim) registerServiceDeployments() {
	s.ecs.native = svcDeployState{byArn: map[string]*svcDeployment{}, revisions: map[string]*svcRevision{}}
	op := func(name string, fn func(*request) (any, error)) { s.handle(ecsTarget, "ecs", name, s.cdOp(fn)) }
	op("ListServiceDeployments", s.ecsListServiceDeployments)
	op("DescribeServiceDeployments", s.ecsDescribeServiceDeployments)
	op("DescribeServiceRevisions", s.ecsDescribeServiceRevisions)
	op("StopServiceDeployment", s.ecsStopServiceDeployment)
	op("ContinueServiceDeployment", s.ecsContinueServiceDeployment)
}

// isNative reports whether svc plays service deployments.
func (svc *ecsService) isNative() bool {
	return svc.controller == "ECS" && svc.native != nil && nativeStrategy(svc.native.config.Strategy)
}

// latest is the service's newest deployment.
func (n *nativeService) latest() *svcDeployment {
	if len(n.deployments) == 0 {
		return nil
	}
	return n.deployments[len(n.deployments)-1]
}

// liveState returns rev's live state, adding an empty one if it has none.
func (n *nativeService) liveState(rev *svcRevision) *revState {
	for _, r := range n.live {
		if r.rev == rev {
			return r
		}
	}
	r := &revState{rev: rev}
	n.live = append(n.live, r)
	return r
}

// newRevisionLocked records a revision of svc running taskDef. Its target
// group is the one of the pair that is not serving production now.
func (s *Sim) newRevisionLocked(svc *ecsService, taskDef string, at time.Time) *svcRevision {
	s.ecs.native.seq++
	id := digits19(fmt.Sprintf("%s|revision|%d", svc.arn, s.ecs.native.seq))
	rev := &svcRevision{
		arn:       fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%s", s.region, s.account, lastSegment(svc.clusterArn), svc.name, id),
		id:        id,
		svc:       svc,
		taskDef:   taskDef,
		lbs:       slices.Clone(svc.loadBalancers),
		createdAt: at,
	}
	rev.targetGroup = firstTargetGroup(svc.loadBalancers)
	if n := svc.native; n != nil && n.stable != nil {
		rev.targetGroup = otherTargetGroup(svc.loadBalancers, n.stable.targetGroup)
	}
	s.ecs.native.revisions[rev.arn] = rev
	return rev
}

func firstTargetGroup(lbs []ecsLoadBalancer) string {
	if len(lbs) == 0 {
		return ""
	}
	return lbs[0].TargetGroupArn
}

// otherTargetGroup is the target group of the blue/green pair that is not
// current: a new revision registers where production is not.
func otherTargetGroup(lbs []ecsLoadBalancer, current string) string {
	for _, lb := range lbs {
		if a := lb.AdvancedConfiguration; a != nil {
			if current == a.AlternateTargetGroupArn {
				return lb.TargetGroupArn
			}
			return a.AlternateTargetGroupArn
		}
	}
	return current
}

// newDeploymentArn is a service deployment ARN ending in a 21-character id
// like AWS's.
func (s *Sim) newDeploymentArn(svc *ecsService) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	id := make([]byte, 21)
	for i := range id {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		id[i] = alphabet[n.Int64()]
	}
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s", s.region, s.account, lastSegment(svc.clusterArn), svc.name, id)
}

// initNativeLocked makes svc a service with service deployments: its first
// revision, and the deployment that created the service, SUCCESSFUL at once
// as AWS shows for a service that has settled.
func (s *Sim) initNativeLocked(svc *ecsService, cfg DeploymentConfiguration, at time.Time) {
	svc.native = &nativeService{config: cfg}
	rev := s.newRevisionLocked(svc, svc.taskDef, at)
	st := &revState{rev: rev, requested: svc.desiredCount, running: svc.desiredCount}
	n := svc.native
	n.live, n.primary, n.stable = []*revState{st}, rev, rev
	s.ecs.native.seq++
	d := &svcDeployment{
		seq: s.ecs.native.seq, arn: s.newDeploymentArn(svc), svc: svc, config: cfg, status: "SUCCESSFUL",
		createdAt: at, startedAt: at, finishedAt: at, updatedAt: at, target: st.clone(),
		rollbackTo: rev, allHooks: map[string]*hookRun{},
	}
	n.deployments = append(n.deployments, d)
	s.ecs.native.byArn[d.arn] = d
}

// svcFault makes the next deployment of a service fail at a stage.
type svcFault struct{ stage, message string }
