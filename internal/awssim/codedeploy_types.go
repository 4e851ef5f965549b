package awssim

import "context"

// Wire shapes of CodeDeploy (JSON 1.1, camelCase members), shared by
// requests and answers.

type ecsServiceRef struct {
	ServiceName string `json:"serviceName"`
	ClusterName string `json:"clusterName"`
}

type alarmRef struct {
	Name string `json:"name"`
}

type alarmConfig struct {
	Enabled                bool       `json:"enabled"`
	IgnorePollAlarmFailure bool       `json:"ignorePollAlarmFailure"`
	Alarms                 []alarmRef `json:"alarms,omitempty"`
}

type autoRollbackConfig struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events,omitempty"`
}

type readyOption struct {
	ActionOnTimeout   string `json:"actionOnTimeout,omitempty"`
	WaitTimeInMinutes int    `json:"waitTimeInMinutes"`
}

type terminateOption struct {
	Action                       string `json:"action,omitempty"`
	TerminationWaitTimeInMinutes int    `json:"terminationWaitTimeInMinutes"`
}

type blueGreenConfig struct {
	DeploymentReadyOption                     *readyOption     `json:"deploymentReadyOption,omitempty"`
	TerminateBlueInstancesOnDeploymentSuccess *terminateOption `json:"terminateBlueInstancesOnDeploymentSuccess,omitempty"`
}

type nameRef struct {
	Name string `json:"name"`
}

type trafficRoute struct {
	ListenerArns []string `json:"listenerArns,omitempty"`
}

type targetGroupPair struct {
	TargetGroups     []nameRef     `json:"targetGroups,omitempty"`
	ProdTrafficRoute *trafficRoute `json:"prodTrafficRoute,omitempty"`
	TestTrafficRoute *trafficRoute `json:"testTrafficRoute,omitempty"`
}

type loadBalancerInfo struct {
	TargetGroupPairInfoList []targetGroupPair `json:"targetGroupPairInfoList,omitempty"`
}

type deploymentStyle struct {
	DeploymentType   string `json:"deploymentType,omitempty"`
	DeploymentOption string `json:"deploymentOption,omitempty"`
}

type timeBasedLinear struct {
	LinearPercentage int `json:"linearPercentage"`
	LinearInterval   int `json:"linearInterval"`
}

type timeBasedCanary struct {
	CanaryPercentage int `json:"canaryPercentage"`
	CanaryInterval   int `json:"canaryInterval"`
}

type trafficRoutingConfig struct {
	Type            string           `json:"type,omitempty"`
	TimeBasedLinear *timeBasedLinear `json:"timeBasedLinear,omitempty"`
	TimeBasedCanary *timeBasedCanary `json:"timeBasedCanary,omitempty"`
}

type appSpecContent struct {
	Content *string `json:"content,omitempty"`
	Sha256  string  `json:"sha256,omitempty"`
}

type s3Location struct {
	Bucket     string `json:"bucket,omitempty"`
	Key        string `json:"key,omitempty"`
	BundleType string `json:"bundleType,omitempty"`
	Version    string `json:"version,omitempty"`
	ETag       string `json:"eTag,omitempty"`
}

type revisionLocation struct {
	RevisionType   string          `json:"revisionType,omitempty"`
	AppSpecContent *appSpecContent `json:"appSpecContent,omitempty"`
	S3Location     *s3Location     `json:"s3Location,omitempty"`
}

type errorInformation struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rollbackInfo struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
}

type deploymentOverview struct {
	Pending    int `json:"Pending"`
	InProgress int `json:"InProgress"`
	Succeeded  int `json:"Succeeded"`
	Failed     int `json:"Failed"`
	Skipped    int `json:"Skipped"`
	Ready      int `json:"Ready"`
}

type lastDeploymentInfo struct {
	DeploymentID string `json:"deploymentId"`
	Status       string `json:"status"`
	EndTime      *epoch `json:"endTime,omitempty"`
	CreateTime   *epoch `json:"createTime,omitempty"`
}

type diagnostics struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	ScriptName string `json:"scriptName,omitempty"`
	Message    string `json:"message,omitempty"`
	LogTail    string `json:"logTail,omitempty"`
}

type lifecycleEventOut struct {
	LifecycleEventName string       `json:"lifecycleEventName"`
	StartTime          *epoch       `json:"startTime,omitempty"`
	EndTime            *epoch       `json:"endTime,omitempty"`
	Status             string       `json:"status"`
	Diagnostics        *diagnostics `json:"diagnostics,omitempty"`
}

type ecsTaskSetOut struct {
	Identifer     string   `json:"identifer"` // sic: the SDK's spelling
	DesiredCount  int      `json:"desiredCount"`
	PendingCount  int      `json:"pendingCount"`
	RunningCount  int      `json:"runningCount"`
	Status        string   `json:"status"`
	TrafficWeight float64  `json:"trafficWeight"`
	TargetGroup   *nameRef `json:"targetGroup,omitempty"`
	TaskSetLabel  string   `json:"taskSetLabel"`
}

type ecsTargetOut struct {
	DeploymentID    string              `json:"deploymentId"`
	TargetID        string              `json:"targetId"`
	TargetArn       string              `json:"targetArn"`
	LastUpdatedAt   *epoch              `json:"lastUpdatedAt,omitempty"`
	Status          string              `json:"status"`
	LifecycleEvents []lifecycleEventOut `json:"lifecycleEvents"`
	TaskSetsInfo    []ecsTaskSetOut     `json:"taskSetsInfo"`
}

type deploymentTargetOut struct {
	DeploymentTargetType string        `json:"deploymentTargetType"`
	EcsTarget            *ecsTargetOut `json:"ecsTarget,omitempty"`
}

type deploymentInfoOut struct {
	ApplicationName                    string              `json:"applicationName"`
	DeploymentGroupName                string              `json:"deploymentGroupName"`
	DeploymentConfigName               string              `json:"deploymentConfigName"`
	DeploymentID                       string              `json:"deploymentId"`
	Status                             string              `json:"status"`
	Creator                            string              `json:"creator"`
	Description                        string              `json:"description,omitempty"`
	CreateTime                         *epoch              `json:"createTime,omitempty"`
	StartTime                          *epoch              `json:"startTime,omitempty"`
	CompleteTime                       *epoch              `json:"completeTime,omitempty"`
	ComputePlatform                    string              `json:"computePlatform"`
	DeploymentOverview                 deploymentOverview  `json:"deploymentOverview"`
	DeploymentStyle                    deploymentStyle     `json:"deploymentStyle"`
	ErrorInformation                   *errorInformation   `json:"errorInformation,omitempty"`
	RollbackInfo                       *rollbackInfo       `json:"rollbackInfo,omitempty"`
	Revision                           *revisionLocation   `json:"revision,omitempty"`
	PreviousRevision                   *revisionLocation   `json:"previousRevision,omitempty"`
	AutoRollbackConfiguration          *autoRollbackConfig `json:"autoRollbackConfiguration,omitempty"`
	OverrideAlarmConfiguration         *alarmConfig        `json:"overrideAlarmConfiguration,omitempty"`
	BlueGreenDeploymentConfiguration   *blueGreenConfig    `json:"blueGreenDeploymentConfiguration,omitempty"`
	LoadBalancerInfo                   *loadBalancerInfo   `json:"loadBalancerInfo,omitempty"`
	InstanceTerminationWaitTimeStarted bool                `json:"instanceTerminationWaitTimeStarted"`
	DeploymentStatusMessages           []string            `json:"deploymentStatusMessages"`
}

// cdOp runs a CodeDeploy handler with the world lock held, after playing
// what fell due while the clock ran by itself.
func (s *Sim) cdOp(fn func(*request) (any, error)) func(context.Context, *request) (any, error) {
	return func(_ context.Context, req *request) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.catchUpLocked()
		return fn(req)
	}
}
