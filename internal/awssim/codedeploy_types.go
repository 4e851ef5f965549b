package awssim

// Wire shapes of a CodeDeploy deployment group's configuration (JSON 1.1,
// camelCase members), given to CreateDeploymentGroup and echoed by
// GetDeploymentGroup and GetDeployment.

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
