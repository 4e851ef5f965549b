package notify

import (
	"context"
	"encoding/json"
	"errors"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// ECS's own events, for services ECS deploys itself. "ECS Deployment State
// Change" names the service (its resources) and a legacy deployment id
// (ecs-svc/…) that is no service deployment's ARN, so it only says "look
// at this service": its deployments are listed again, which finds one
// started outside Slack and looks at those in flight. "ECS Hook State
// Change" names the service deployment itself; HOOK_AWAITING_ACTION is a
// pause waiting for someone, and the look it asks for shows the card's
// Continue and Roll back at once. As with CodeDeploy's events, nothing of
// their state is trusted: they only say where to look.

const (
	ecsDeploymentEvent = "ECS Deployment State Change"
	ecsHookEvent       = "ECS Hook State Change"
)

// ecsEvent is the part of an ECS event notify reads.
type ecsEvent struct {
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Resources  []string `json:"resources"`
	Detail     struct {
		EventName            string `json:"eventName"`
		ServiceArn           string `json:"serviceArn"`
		ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	} `json:"detail"`
}

// ecsRef is where an ECS event says to look: a service, and for a hook
// event the service deployment.
type ecsRef struct {
	Service    switchyard.ServiceRef
	Deployment string // the service deployment's ARN; "" for a deployment state change
	Event      string // eventName, for the log
}

// parseECSEvent reads an SQS message body as an ECS deployment or hook
// state change. ok is false (and err nil) for anything else, which
// parseEvent then reads; err wraps errMalformed for one of those two whose
// ARNs are missing or not well formed.
func parseECSEvent(body string) (ref ecsRef, ok bool, err error) {
	var ev ecsEvent
	if json.Unmarshal([]byte(body), &ev) != nil || ev.Source != "aws.ecs" {
		return ecsRef{}, false, nil
	}
	malformed := func(why string) (ecsRef, bool, error) {
		return ecsRef{}, false, errors.Join(errMalformed, errors.New(why))
	}
	switch ev.DetailType {
	case ecsDeploymentEvent:
		if len(ev.Resources) != 1 {
			return malformed("an ECS deployment event names no single service")
		}
		s, ok := switchyard.ParseServiceARN(ev.Resources[0])
		if !ok {
			return malformed("an ECS deployment event's resource is not a service ARN")
		}
		return ecsRef{Service: s, Event: ev.Detail.EventName}, true, nil
	case ecsHookEvent:
		arn := ev.Detail.ServiceDeploymentArn
		if arn == "" && len(ev.Resources) == 1 {
			arn = ev.Resources[0]
		}
		d, ok := switchyard.ParseServiceDeploymentARN(arn)
		if !ok {
			return malformed("an ECS hook event names no service deployment")
		}
		s := switchyard.ServiceRef{Region: d.Region, Account: d.Account, Cluster: d.Cluster, Service: d.Service}
		return ecsRef{Service: s, Deployment: arn, Event: ev.Detail.EventName}, true, nil
	}
	return ecsRef{}, false, nil
}

// handleECSEvent handles body if it is an ECS deployment or hook event
// (handled true); the error is as handleEvent's.
func (n *Notifier) handleECSEvent(ctx context.Context, body string) (handled bool, err error) {
	ref, ok, err := parseECSEvent(body)
	if err != nil || !ok {
		return err != nil, err
	}
	app, env, ok := n.serviceEnv(ref.Service)
	if !ok {
		return true, nil // a service this bot does not watch
	}
	n.log.Debug("ECS event", zap.String("event", ref.Event), zap.String("app", app), zap.String("service_deployment", ref.Deployment))
	if ref.Deployment == "" {
		n.discoverEnv(ctx, app, env)
		return true, nil
	}
	id := ref.Deployment
	_, err = n.store.GetDeployment(ctx, id)
	switch {
	case err == nil:
	case switchyard.ErrorCode(err) == switchyard.ENOTFOUND:
		obs, err := n.describe.Describe(ctx, env, id)
		if err != nil {
			return true, err
		}
		if n.startingHere(ctx, app, env, obs) {
			return true, nil // its request links it in a moment, and watches it
		}
		if err := n.adopt(ctx, app, env, obs); err != nil {
			return true, err
		}
	default:
		return true, err
	}
	n.Watch(ctx, id)
	return true, nil
}

// serviceEnv finds the configured app and environment of an ECS service:
// its region, cluster and name, and its account where the environment's
// role names one.
func (n *Notifier) serviceEnv(s switchyard.ServiceRef) (string, switchyard.Environment, bool) {
	return n.envWhere(s.Region, s.Account, func(env switchyard.Environment) bool {
		return lastSegment(env.Cluster) == s.Cluster && lastSegment(env.Service) == s.Service
	})
}

// startingHere reports whether an ECS deployment that no record or request
// names yet may be one this bot is starting: a request of its app and
// environment is confirmed and waits for AWS's answer. ECS deployments
// carry no description to name their request, so until the request is
// linked the deployment is left alone rather than shown as started outside
// Slack; the link's Watch, or the next discovery, records it.
func (n *Notifier) startingHere(ctx context.Context, app string, env switchyard.Environment, obs *switchyard.Observation) bool {
	if obs.Backend != switchyard.BackendECS {
		return false
	}
	if _, err := n.store.FindRequest(ctx, obs.ID); err == nil {
		return false
	}
	starting, err := n.store.ListStarting(ctx, app, env.Name)
	if err != nil {
		n.log.Warn("list starting requests", zap.String("app", app), zap.Error(err))
		return true
	}
	return len(starting) > 0
}

func lastSegment(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}
