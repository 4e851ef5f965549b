package awssim

import (
	"net/http"
	"sync"
)

// faults are the switches that make calls fail on purpose, so that the
// bot's retry and permission paths can be tested.
type faults struct {
	mu sync.Mutex
	// throttle is the fraction of calls (0..1) answered with
	// ThrottlingException, per service signing name; "*" means every service.
	throttle map[string]float64
	// owed accumulates fractions so that exactly that share of calls fails,
	// deterministically (0.25 fails every fourth call).
	owed map[string]float64
	// denied holds IAM actions ("codedeploy:CreateDeployment") refused with
	// AccessDeniedException.
	denied map[string]bool
	// lose counts, per IAM action, the next calls that are carried out and
	// then lose their answer: the connection closes before it is written.
	lose map[string]int
}

// LoseAnswer makes the next call of the IAM action given
// ("ecs:UpdateService") do what it asks and then close its connection
// without answering, as a network that fails at the wrong moment does: the
// client cannot tell whether AWS acted.
func (s *Sim) LoseAnswer(action string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.lose == nil {
		s.faults.lose = map[string]int{}
	}
	s.faults.lose[action]++
}

// takeLoss reports whether this call of service's op loses its answer.
func (f *faults) takeLoss(service, op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	action := iamAction(service, op)
	if f.lose[action] == 0 {
		return false
	}
	f.lose[action]--
	return true
}

// dropAnswer closes the connection of w without an answer.
func dropAnswer(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // net/http closes the connection
}

// SetThrottle makes the given fraction of calls to service ("codedeploy",
// "ecs", "ecr", "events", "sqs", "monitoring", or "*" for all) fail with
// ThrottlingException. Zero turns it off.
func (s *Sim) SetThrottle(service string, fraction float64) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.throttle == nil {
		s.faults.throttle = map[string]float64{}
		s.faults.owed = map[string]float64{}
	}
	if fraction <= 0 {
		delete(s.faults.throttle, service)
		delete(s.faults.owed, service)
		return
	}
	s.faults.throttle[service] = min(fraction, 1)
}

// Deny makes calls to the IAM actions given ("ecs:RegisterTaskDefinition")
// fail with AccessDeniedException until Allow.
func (s *Sim) Deny(actions ...string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.denied == nil {
		s.faults.denied = map[string]bool{}
	}
	for _, a := range actions {
		s.faults.denied[a] = true
	}
}

// Allow undoes Deny for the actions given.
func (s *Sim) Allow(actions ...string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for _, a := range actions {
		delete(s.faults.denied, a)
	}
}

// iamPrefix maps a signing name to its IAM action prefix.
var iamPrefix = map[string]string{"monitoring": "cloudwatch"}

// iamAction is the IAM action of service's op: "cloudwatch:DescribeAlarms".
func iamAction(service, op string) string {
	if p, ok := iamPrefix[service]; ok {
		service = p
	}
	return service + ":" + op
}

// check returns the error a call by the principal callerArn should fail
// with, or nil.
func (f *faults) check(service, op, callerArn string) *apiError {
	f.mu.Lock()
	defer f.mu.Unlock()
	action := iamAction(service, op)
	if f.denied[action] {
		e := errf("AccessDeniedException",
			"User: %s is not authorized to perform: %s because no identity-based policy allows the %s action",
			callerArn, action, action)
		if service == "sqs" {
			e.Code = "AccessDenied"
			e.QueryCode = "AccessDenied;Sender"
		}
		return e
	}
	for _, key := range []string{service, "*"} {
		frac, ok := f.throttle[key]
		if !ok {
			continue
		}
		f.owed[key] += frac
		if f.owed[key] >= 1 {
			f.owed[key]--
			e := &apiError{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
			if service == "sqs" {
				e.QueryCode = "ThrottlingException;Sender"
			}
			return e
		}
	}
	return nil
}
