package awssim

import (
	"fmt"
	"math"
	"slices"
)

// The deployment configuration of a service run by the ECS deployment
// controller, in the API's member names: the same structs are a service's
// seed (YAML) and travel on the wire (JSON) in UpdateService, DescribeServices
// and DescribeServiceDeployments.

// DeploymentController is a service's deploymentController.
type DeploymentController struct {
	// Type is ECS, CODE_DEPLOY or EXTERNAL.
	Type string `yaml:"type" json:"type"`
}

// DeploymentConfiguration is a service's deploymentConfiguration. With the
// ECS controller and a strategy of BLUE_GREEN, LINEAR or CANARY the
// simulator plays service deployments (see the package doc).
type DeploymentConfiguration struct {
	// Strategy is ROLLING (the default), BLUE_GREEN, LINEAR or CANARY.
	Strategy string `yaml:"strategy" json:"strategy,omitempty"`
	// BakeTimeInMinutes (0–1440) keeps both revisions up after production
	// traffic has moved; BLUE_GREEN must give it.
	BakeTimeInMinutes        *int                      `yaml:"bakeTimeInMinutes" json:"bakeTimeInMinutes,omitempty"`
	LinearConfiguration      *LinearConfiguration      `yaml:"linearConfiguration" json:"linearConfiguration,omitempty"`
	CanaryConfiguration      *CanaryConfiguration      `yaml:"canaryConfiguration" json:"canaryConfiguration,omitempty"`
	LifecycleHooks           []LifecycleHook           `yaml:"lifecycleHooks" json:"lifecycleHooks,omitempty"`
	Alarms                   *DeploymentAlarms         `yaml:"alarms" json:"alarms,omitempty"`
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `yaml:"deploymentCircuitBreaker" json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int                      `yaml:"maximumPercent" json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int                      `yaml:"minimumHealthyPercent" json:"minimumHealthyPercent,omitempty"`
}

// LinearConfiguration shifts production traffic in equal steps.
type LinearConfiguration struct {
	// StepPercent is a multiple of 0.1 from 3.0 to 100.0; default 10.
	StepPercent *float64 `yaml:"stepPercent" json:"stepPercent,omitempty"`
	// StepBakeTimeInMinutes (0–1440, default 6) separates the steps; there is
	// none after the step that reaches 100.
	StepBakeTimeInMinutes *int `yaml:"stepBakeTimeInMinutes" json:"stepBakeTimeInMinutes,omitempty"`
}

// CanaryConfiguration shifts canaryPercent, bakes, then shifts the rest.
type CanaryConfiguration struct {
	// CanaryPercent is a multiple of 0.1 from 0.1 to 100.0; default 5.
	CanaryPercent *float64 `yaml:"canaryPercent" json:"canaryPercent,omitempty"`
	// CanaryBakeTimeInMinutes is 0–1440, default 10.
	CanaryBakeTimeInMinutes *int `yaml:"canaryBakeTimeInMinutes" json:"canaryBakeTimeInMinutes,omitempty"`
}

// LifecycleHook runs a Lambda function or pauses at lifecycle stages.
type LifecycleHook struct {
	// TargetType is AWS_LAMBDA (the default) or PAUSE.
	TargetType string `yaml:"targetType" json:"targetType,omitempty"`
	// HookTargetArn and RoleArn are for AWS_LAMBDA only.
	HookTargetArn string `yaml:"hookTargetArn" json:"hookTargetArn,omitempty"`
	RoleArn       string `yaml:"roleArn" json:"roleArn,omitempty"`
	// LifecycleStages are hook stages (DeploymentLifecycleHookStage).
	LifecycleStages []string `yaml:"lifecycleStages" json:"lifecycleStages,omitempty"`
	// HookDetails is free JSON handed to the hook.
	HookDetails          any          `yaml:"hookDetails" json:"hookDetails,omitempty"`
	TimeoutConfiguration *HookTimeout `yaml:"timeoutConfiguration" json:"timeoutConfiguration,omitempty"`
}

// HookTimeout is a hook's timeoutConfiguration.
type HookTimeout struct {
	// TimeoutInMinutes is 1–1440 for Lambda hooks and 1–20160 for pause
	// hooks; default 1440.
	TimeoutInMinutes *int `yaml:"timeoutInMinutes" json:"timeoutInMinutes,omitempty"`
	// Action is ROLLBACK (the default) or CONTINUE.
	Action string `yaml:"action" json:"action,omitempty"`
}

// DeploymentAlarms are the CloudWatch alarms that fail a deployment.
type DeploymentAlarms struct {
	AlarmNames []string `yaml:"alarmNames" json:"alarmNames"`
	Enable     bool     `yaml:"enable" json:"enable"`
	Rollback   bool     `yaml:"rollback" json:"rollback"`
}

// DeploymentCircuitBreaker is accepted and echoed; it never trips here.
type DeploymentCircuitBreaker struct {
	Enable   bool `yaml:"enable" json:"enable"`
	Rollback bool `yaml:"rollback" json:"rollback"`
}

// AdvancedConfiguration is a load balancer's blue/green settings.
type AdvancedConfiguration struct {
	AlternateTargetGroupArn string `yaml:"alternateTargetGroupArn" json:"alternateTargetGroupArn,omitempty"`
	ProductionListenerRule  string `yaml:"productionListenerRule" json:"productionListenerRule,omitempty"`
	TestListenerRule        string `yaml:"testListenerRule" json:"testListenerRule,omitempty"`
	RoleArn                 string `yaml:"roleArn" json:"roleArn,omitempty"`
}

// The lifecycle stages: those a ServiceDeployment reports, and those hooks
// may name, which add PRE_PRODUCTION_TRAFFIC_SHIFT and lack SCALE_UP,
// BAKE_TIME and CLEAN_UP.
const (
	stReconcile  = "RECONCILE_SERVICE"
	stPreScale   = "PRE_SCALE_UP"
	stScaleUp    = "SCALE_UP"
	stPostScale  = "POST_SCALE_UP"
	stTestShift  = "TEST_TRAFFIC_SHIFT"
	stPostTest   = "POST_TEST_TRAFFIC_SHIFT"
	stPreProd    = "PRE_PRODUCTION_TRAFFIC_SHIFT"
	stProdShift  = "PRODUCTION_TRAFFIC_SHIFT"
	stPostProd   = "POST_PRODUCTION_TRAFFIC_SHIFT"
	stBakeTime   = "BAKE_TIME"
	stCleanUp    = "CLEAN_UP"
	hookLambda   = "AWS_LAMBDA"
	hookPause    = "PAUSE"
	actRollback  = "ROLLBACK"
	actContinue  = "CONTINUE"
	maxHookTypes = 10 // hooks of each target type per service
)

var ecsHookStages = []string{stReconcile, stPreScale, stPostScale, stTestShift, stPostTest, stPreProd, stProdShift, stPostProd}

// nativeStrategy reports whether a strategy is played as service
// deployments (the rest of ROLLING stays as it was).
func nativeStrategy(strategy string) bool {
	return strategy == "BLUE_GREEN" || strategy == "LINEAR" || strategy == "CANARY"
}

func errECSParam(format string, args ...any) *apiError {
	return errf("InvalidParameterException", format, args...)
}

// normalizeDeploymentConfig validates c as UpdateService would and returns
// it with AWS's defaults filled in, so that it reads back complete. lbs are
// the service's load balancers: the native strategies need one with an
// advancedConfiguration.
func normalizeDeploymentConfig(c DeploymentConfiguration, lbs []ecsLoadBalancer) (DeploymentConfiguration, *apiError) {
	if c.Strategy == "" {
		c.Strategy = "ROLLING"
	}
	if c.Strategy != "ROLLING" && !nativeStrategy(c.Strategy) {
		return c, errECSParam("Invalid deployment strategy %q: use ROLLING, BLUE_GREEN, LINEAR or CANARY.", c.Strategy)
	}
	c.MaximumPercent = orDefault(c.MaximumPercent, 200)
	c.MinimumHealthyPercent = orDefault(c.MinimumHealthyPercent, 100)
	if c.LinearConfiguration != nil && c.Strategy != "LINEAR" {
		return c, errECSParam("linearConfiguration is only valid with the LINEAR deployment strategy.")
	}
	if c.CanaryConfiguration != nil && c.Strategy != "CANARY" {
		return c, errECSParam("canaryConfiguration is only valid with the CANARY deployment strategy.")
	}
	if !nativeStrategy(c.Strategy) {
		return c, nil
	}
	if c.BakeTimeInMinutes == nil && c.Strategy == "BLUE_GREEN" {
		return c, errECSParam("bakeTimeInMinutes must be provided for the BLUE_GREEN deployment strategy.")
	}
	c.BakeTimeInMinutes = orDefault(c.BakeTimeInMinutes, 0)
	if err := minutesIn("bakeTimeInMinutes", *c.BakeTimeInMinutes, 0, 1440); err != nil {
		return c, err
	}
	if err := normalizeShift(&c); err != nil {
		return c, err
	}
	hooks, err := normalizeHooks(c.LifecycleHooks)
	if err != nil {
		return c, err
	}
	c.LifecycleHooks = hooks
	if c.Alarms != nil {
		a := *c.Alarms
		a.AlarmNames = nonNil(slices.Clone(a.AlarmNames))
		c.Alarms = &a
	}
	if !slices.ContainsFunc(lbs, func(lb ecsLoadBalancer) bool { return advancedOK(lb.AdvancedConfiguration) }) {
		return c, errECSParam("The %s deployment strategy needs a load balancer with an advancedConfiguration "+
			"(alternateTargetGroupArn, productionListenerRule and roleArn).", c.Strategy)
	}
	return c, nil
}

func advancedOK(a *AdvancedConfiguration) bool {
	return a != nil && a.AlternateTargetGroupArn != "" && a.ProductionListenerRule != "" && a.RoleArn != ""
}

// normalizeShift fills and checks the linear or canary step settings.
func normalizeShift(c *DeploymentConfiguration) *apiError {
	switch c.Strategy {
	case "LINEAR":
		l := *cmpOr(c.LinearConfiguration, &LinearConfiguration{})
		c.LinearConfiguration = &l
		return normalizeStep(&l.StepPercent, &l.StepBakeTimeInMinutes, stepRule{"linearConfiguration.stepPercent", 10, 3},
			"linearConfiguration.stepBakeTimeInMinutes", 6)
	case "CANARY":
		k := *cmpOr(c.CanaryConfiguration, &CanaryConfiguration{})
		c.CanaryConfiguration = &k
		return normalizeStep(&k.CanaryPercent, &k.CanaryBakeTimeInMinutes, stepRule{"canaryConfiguration.canaryPercent", 5, 0.1},
			"canaryConfiguration.canaryBakeTimeInMinutes", 10)
	}
	return nil
}

// stepRule is a step percentage's name, default and lowest value (the
// highest is 100, in tenths).
type stepRule struct {
	name     string
	def, low float64
}

// normalizeStep fills in a strategy's step percentage and bake time and
// checks them.
func normalizeStep(pct **float64, bake **int, rule stepRule, bakeName string, bakeDef int) *apiError {
	*pct, *bake = orDefault(*pct, rule.def), orDefault(*bake, bakeDef)
	if p := **pct; p < rule.low || p > 100 || !tenths(p) {
		return errECSParam("%s must be a multiple of 0.1 from %.1f to 100.0, not %g.", rule.name, rule.low, p)
	}
	return minutesIn(bakeName, **bake, 0, 1440)
}

// cmpOr is p, or def when p is nil.
func cmpOr[T any](p, def *T) *T {
	if p != nil {
		return p
	}
	return def
}

// normalizeHooks checks each hook and fills its target type and timeout.
func normalizeHooks(in []LifecycleHook) ([]LifecycleHook, *apiError) {
	var out []LifecycleHook
	count := map[string]int{}
	for i, h := range in {
		if h.TargetType == "" {
			h.TargetType = hookLambda
		}
		what := fmt.Sprintf("lifecycleHooks[%d]", i)
		maxTimeout := 1440
		switch h.TargetType {
		case hookLambda:
			if h.HookTargetArn == "" {
				return nil, errECSParam("%s: hookTargetArn must be provided for an AWS_LAMBDA hook.", what)
			}
		case hookPause:
			if h.HookTargetArn != "" || h.RoleArn != "" {
				return nil, errECSParam("%s: a PAUSE hook takes no hookTargetArn or roleArn.", what)
			}
			maxTimeout = 20160
		default:
			return nil, errECSParam("%s: targetType must be AWS_LAMBDA or PAUSE, not %q.", what, h.TargetType)
		}
		if count[h.TargetType]++; count[h.TargetType] > maxHookTypes {
			return nil, errECSParam("A service can have at most %d %s lifecycle hooks.", maxHookTypes, h.TargetType)
		}
		if len(h.LifecycleStages) == 0 {
			return nil, errECSParam("%s: lifecycleStages must not be empty.", what)
		}
		for _, st := range h.LifecycleStages {
			if !slices.Contains(ecsHookStages, st) {
				return nil, errECSParam("%s: %q is not a lifecycle hook stage.", what, st)
			}
			if h.TargetType == hookPause && (st == stTestShift || st == stProdShift) {
				return nil, errECSParam("%s: a PAUSE hook cannot run at %s.", what, st)
			}
		}
		t := HookTimeout{}
		if h.TimeoutConfiguration != nil {
			t = *h.TimeoutConfiguration
		}
		t.TimeoutInMinutes = orDefault(t.TimeoutInMinutes, 1440)
		if t.Action == "" {
			t.Action = actRollback
		}
		if t.Action != actRollback && t.Action != actContinue {
			return nil, errECSParam("%s: timeoutConfiguration.action must be ROLLBACK or CONTINUE, not %q.", what, t.Action)
		}
		if err := minutesIn(what+".timeoutConfiguration.timeoutInMinutes", *t.TimeoutInMinutes, 1, maxTimeout); err != nil {
			return nil, err
		}
		h.TimeoutConfiguration = &t
		h.LifecycleStages = slices.Clone(h.LifecycleStages)
		out = append(out, h)
	}
	return out, nil
}

func minutesIn(what string, v, lo, hi int) *apiError {
	if v < lo || v > hi {
		return errECSParam("%s must be between %d and %d, not %d.", what, lo, hi, v)
	}
	return nil
}

// tenths reports whether p is a multiple of 0.1.
func tenths(p float64) bool {
	return math.Abs(p*10-math.Round(p*10)) < 1e-6
}

func orDefault[T any](p *T, def T) *T {
	if p != nil {
		v := *p
		return &v
	}
	return &def
}

// productionSteps is the target's production weight after each step:
// BLUE_GREEN moves everything at once; LINEAR adds stepPercent until the
// next step would pass 100, then moves the rest; CANARY moves canaryPercent,
// then the rest.
func productionSteps(c DeploymentConfiguration) []float64 {
	switch c.Strategy {
	case "LINEAR":
		step := int(math.Round(*c.LinearConfiguration.StepPercent * 10))
		var out []float64
		for w := step; w < 1000; w += step {
			out = append(out, float64(w)/10)
		}
		return append(out, 100)
	case "CANARY":
		if p := *c.CanaryConfiguration.CanaryPercent; p < 100 {
			return []float64{p, 100}
		}
	}
	return []float64{100}
}

// stepBake is the wait after each production step but the last.
func stepBake(c DeploymentConfiguration) int {
	switch c.Strategy {
	case "LINEAR":
		return *c.LinearConfiguration.StepBakeTimeInMinutes
	case "CANARY":
		return *c.CanaryConfiguration.CanaryBakeTimeInMinutes
	}
	return 0
}

// hooksAt returns the hooks configured for a hook stage, in order.
func (c *DeploymentConfiguration) hooksAt(stage string) []*LifecycleHook {
	var out []*LifecycleHook
	for i := range c.LifecycleHooks {
		if slices.Contains(c.LifecycleHooks[i].LifecycleStages, stage) {
			out = append(out, &c.LifecycleHooks[i])
		}
	}
	return out
}
