package awssim

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
)

// CodeDeploy for the ECS compute platform. One file per resource:
// applications, deployment groups, deployment configs, deployments, their
// targets, lifecycle hooks and revisions; the engine (engine*.go) plays
// deployments on the clock.
//
// Every handler runs through cdOp, which registerCodeDeploy applies to the
// whole route table: it holds s.mu and has played what fell due, so no
// handler locks or catches up the clock itself. A handler's signature has
// no context, so it cannot be registered without cdOp by mistake.

// codedeployState is the CodeDeploy part of the world. Only the ECS compute
// platform exists here: applications, their blue/green deployment groups,
// deployment configs and the deployments the engine plays on the clock.
type codedeployState struct {
	apps        map[string]*cdApp    // by name
	configs     map[string]*cdConfig // by name, predefined ones included
	deployments map[string]*cdDeployment
	// order is every deployment in creation order (ListDeployments pages it).
	order []*cdDeployment
	// active are the deployments the engine still plays, in creation order.
	active []*cdDeployment
	// s3 holds object contents registered with PutS3Object ("bucket/key"):
	// the simulator has no S3, so an S3 revision resolves only through it.
	s3 map[string]string
	// failNext holds the fault for the next deployment of an application.
	failNext map[string]hookFault
	// manualHooks makes hook stages wait for PutLifecycleEventHookExecutionStatus
	// (up to an hour) instead of succeeding on their own.
	manualHooks bool
	seq         int64 // creation order of deployments, ties in the engine
}

func (s *Sim) registerCodeDeploy() {
	now := s.clock.Now()
	s.codedeploy = codedeployState{
		apps:        map[string]*cdApp{},
		configs:     map[string]*cdConfig{},
		deployments: map[string]*cdDeployment{},
		s3:          map[string]string{},
		failNext:    map[string]hookFault{},
	}
	for _, p := range predefinedECSConfigs {
		s.codedeploy.configs[p.name] = &cdConfig{id: newUUID(), name: p.name, createdAt: now, routing: p.routing, predefined: true}
	}
	const t = "CodeDeploy_20141006"
	ops := map[string]func(*request) (any, error){
		"CreateApplication":                    s.cdCreateApplication,
		"GetApplication":                       s.cdGetApplication,
		"ListApplications":                     s.cdListApplications,
		"CreateDeploymentGroup":                s.cdCreateDeploymentGroup,
		"GetDeploymentGroup":                   s.cdGetDeploymentGroup,
		"ListDeploymentGroups":                 s.cdListDeploymentGroups,
		"CreateDeploymentConfig":               s.cdCreateDeploymentConfig,
		"GetDeploymentConfig":                  s.cdGetDeploymentConfig,
		"ListDeploymentConfigs":                s.cdListDeploymentConfigs,
		"CreateDeployment":                     s.cdCreateDeployment,
		"GetDeployment":                        s.cdGetDeployment,
		"BatchGetDeployments":                  s.cdBatchGetDeployments,
		"ListDeployments":                      s.cdListDeployments,
		"ListDeploymentTargets":                s.cdListDeploymentTargets,
		"GetDeploymentTarget":                  s.cdGetDeploymentTarget,
		"BatchGetDeploymentTargets":            s.cdBatchGetDeploymentTargets,
		"StopDeployment":                       s.cdStopDeployment,
		"ContinueDeployment":                   s.cdContinueDeployment,
		"GetApplicationRevision":               s.cdGetApplicationRevision,
		"PutLifecycleEventHookExecutionStatus": s.cdPutLifecycleEventHookExecutionStatus,
	}
	for op, fn := range ops {
		s.handle(t, "codedeploy", op, s.cdOp(fn))
	}
}

// cdOp runs a CodeDeploy handler with the world lock held, after playing
// what fell due while the clock ran by itself, so that the call sees and
// acts on a current world rather than the one of the engine's last tick.
func (s *Sim) cdOp(fn func(*request) (any, error)) func(context.Context, *request) (any, error) {
	return func(_ context.Context, req *request) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.catchUpLocked()
		return fn(req)
	}
}

const listPageSize = 50 // unconfirmed: AWS pages these lists at some size; tests use the token, not the size.

// pageOf returns one page of items and the token of the next ("" at the
// end). Tokens are opaque offsets.
func pageOf[T any](items []T, token string) ([]T, *string, error) {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || cerr != nil || !strings.HasPrefix(string(b), "o:") || n < 0 || n > len(items) {
			return nil, nil, errf("InvalidNextTokenException", "The next token was specified in an invalid format.")
		}
		start = n
	}
	end := min(start+listPageSize, len(items))
	page := items[start:end]
	if page == nil {
		page = []T{}
	}
	if end == len(items) {
		return page, nil, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	return page, &next, nil
}
