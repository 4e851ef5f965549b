// Package awssim is an in-process AWS simulator that speaks the real wire
// protocols, so that the bot, its tests, the sandbox and any AWS client (the
// aws-sdk-go-v2 clients, the AWS CLI) can run ECS blue/green deployments
// through CodeDeploy without an AWS account.
//
// One HTTP endpoint serves every service. JSON 1.0/1.1 calls are routed on
// X-Amz-Target (CodeDeploy, ECS, ECR, EventBridge, SQS, and CloudWatch as
// botocore calls it) and CloudWatch's Smithy RPC v2 CBOR calls, which the Go
// SDK makes, on their URL path; a request signed with SigV4 for
// another service is refused with InvalidSignatureException, as AWS does.
// Errors carry the HTTP status, __type, X-Amzn-ErrorType (and for SQS and
// CloudWatch the x-amzn-query-error code) that AWS sends, so clients decode
// the same typed errors and codes. Timestamps are epoch numbers.
//
// # Seeding
//
// Describe the account in YAML (see testdata/world.yaml): clusters and their
// services with the task definition each runs (any RegisterTaskDefinition
// member, camelCase), ECR repositories and tags, CloudWatch alarms, custom
// deployment configs (the deploymentConfigs list: name, type AllAtOnce,
// TimeBasedLinear or TimeBasedCanary, percentage and intervalMinutes; the
// CodeDeployDefault.ECS* configs are always there), and the CodeDeploy
// applications and deployment groups, which may name those configs. Then:
//
//	w, err := awssim.LoadWorld(yamlBytes) // unknown keys are refused
//	sim := awssim.New(w.Options(awssim.Options{Speed: 0}))
//	err = sim.Seed(w)
//	err = sim.Start("127.0.0.1:0")
//	defer sim.Close()
//
// A CODE_DEPLOY service starts with one steady PRIMARY task set (Blue) taking
// all traffic. The Go API adds to the world at any time: PutService,
// PutImage (returns the image's stable digest; RepositoryURI names it in a
// task definition), PutAlarm and SetAlarm. There is no S3: PutS3Object
// registers the content of s3://bucket/key, and CreateDeployment accepts an
// S3 revision (bundleType YAML or JSON) only when its object was put there.
//
// # Driving it
//
// Deployments play on a simulated clock. With Options.Speed 0 the clock
// stands still and tests move it with Advance, which plays every due
// lifecycle step and traffic shift in order, so assertions can be made at
// exact simulated times; a positive speed (the sandbox's) runs that many
// simulated seconds per real second. Faults on demand: SetThrottle makes a
// fraction of a service's calls fail with ThrottlingException (the SDK's
// retryer retries them), Deny refuses IAM actions such as
// "ecs:RegisterTaskDefinition" with AccessDeniedException until Allow,
// SetAlarm puts a watched alarm into ALARM mid-deployment, and the
// CodeDeploy engine has its own switches (FailNextDeployment,
// SetGreenUnhealthy, SetManualHooks). With manual hooks on, a stage with an
// AppSpec hook waits for PutLifecycleEventHookExecutionStatus;
// PendingHookExecution(deploymentID) gives the stage and
// lifecycleEventHookExecutionId a hook Lambda would receive, so a test can
// answer it. Events reach SQS queues through
// EventBridge rules, as in AWS.
//
// # Pointing a client at it
//
// In Go, Config returns an aws.Config with the endpoint, region and static
// credentials set:
//
//	cd := codedeploy.NewFromConfig(sim.Config())
//
// or, with your own configuration, config.WithBaseEndpoint(sim.URL()) plus
// any static credentials. Outside Go, set AWS_ENDPOINT_URL (or
// AWS_ENDPOINT_URL_ECS and friends) to the URL, or pass it to the CLI:
//
//	aws --endpoint-url http://127.0.0.1:4566 ecs describe-services --cluster prod --services web
//
// Any access key and secret work; the region should be the simulator's.
// To run a tool as a child process, sim.Environ(os.Environ()) gives it all
// of that at once: endpoint, region, credentials, no machine configuration.
package awssim
