// Package awssim is an in-process AWS simulator that speaks the real wire
// protocols, so that the bot, its tests, the sandbox and any AWS client (the
// aws-sdk-go-v2 clients, the AWS CLI) can run ECS blue/green deployments
// through CodeDeploy, or ECS's own blue/green, linear and canary
// deployments, without an AWS account.
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
// # ECS-native deployments
//
// A service of the ECS deployment controller with strategy BLUE_GREEN,
// LINEAR or CANARY (seeded with deploymentController {type: ECS}, a
// deploymentConfiguration and a load balancer with an advancedConfiguration,
// in the API's member names, or made so by UpdateService) plays service
// deployments: UpdateService with a new taskDefinition or
// forceNewDeployment starts one, PENDING, then IN_PROGRESS through
// RECONCILE_SERVICE (only with more than one revision running),
// PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT,
// POST_TEST_TRAFFIC_SHIFT, the production steps, POST_PRODUCTION_TRAFFIC_SHIFT,
// BAKE_TIME and CLEAN_UP to SUCCESSFUL. ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions,
// StopServiceDeployment and ContinueServiceDeployment answer as ECS does,
// "ECS Deployment State Change" and "ECS Hook State Change" events go
// through EventBridge rules, the alarms in deploymentConfiguration.alarms
// are watched as CodeDeploy's are, and FailNextServiceDeployment makes a
// stage fail. Where AWS is silent the simulator chose:
//
//   - Time: a hook stage with no hook takes a second, SCALE_UP 30 s,
//     CLEAN_UP 30 s, a Lambda hook 5 s; PRE_PRODUCTION_TRAFFIC_SHIFT with no
//     hook takes none. A production step moves its traffic as it starts and
//     lasts a second (or its Lambda hooks' 5 s); linear and canary step bake
//     times count from the shift, so steps are exactly that far apart. A
//     linear stepPercent that does not divide 100 ends with the rest (33:
//     33, 66, 99, 100). The 24-hour stage limit is not simulated.
//   - While PRE_PRODUCTION_TRAFFIC_SHIFT hooks run the deployment reports
//     PRODUCTION_TRAFFIC_SHIFT (never the hook stage); their hook events say
//     PRE_PRODUCTION_TRAFFIC_SHIFT. lifecycleHookDetails lists the
//     executions of the latest stage that ran hooks, also once they ended;
//     Lambda executions have ids ecs-lambda-…, pauses ecs-pause-….
//   - The service's taskDefinition and PRIMARY deployment (ecs-svc/ plus
//     the digits ending the revision ARN) change when UpdateService starts
//     the deployment, and back to the source revision's when it turns back;
//     the source stays ACTIVE until CLEAN_UP ends. Each new revision
//     registers in the target group production is not using.
//   - A second deployment while one runs stops the first (STOPPED,
//     "Superseded by service deployment …"; one in CLEAN_UP finishes
//     SUCCESSFUL at once). The new one takes every revision with tasks as a
//     source, with the weights they had, runs RECONCILE_SERVICE, and would
//     roll back to the revision of the last deployment that ended well.
//   - Turning back: ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS a second later,
//     production traffic back (Lambda hooks at PRODUCTION_TRAFFIC_SHIFT run
//     again), test traffic back (TEST_TRAFFIC_SHIFT, likewise), CLEAN_UP of
//     the other revisions, ROLLBACK_SUCCESSFUL; ROLLBACK_FAILED never
//     happens. A failed Lambda hook, a pause timing out with ROLLBACK, new
//     tasks never healthy (SetGreenUnhealthy, after five minutes) and an
//     alarm with rollback on roll back; an alarm with rollback off stops.
//     Hooks still pending then end FAILED.
//   - StopServiceDeployment: stopType defaults to ROLLBACK; ABORT stops
//     (STOP_REQUESTED, then the same way back without hooks, STOPPED with
//     stoppedAt); a deployment already turning back carries on; one in
//     CLEAN_UP or completed is refused with ConflictException, resourceIds
//     [its ARN]. ContinueServiceDeployment with a hookId that is not a pause
//     of the deployment awaiting action: InvalidParameterException.
//   - Events carry only the documented fields, so deploymentId is the
//     ecs-svc id (ListServiceDeployments' targetServiceRevisionArn maps it).
//     SERVICE_DEPLOYMENT_IN_PROGRESS comes at IN_PROGRESS and at
//     ROLLBACK_IN_PROGRESS (the id of the revision rolled back to),
//     COMPLETED at SUCCESSFUL and ROLLBACK_SUCCESSFUL, FAILED (ERROR) when a
//     failure turns a deployment back or a deployment is stopped; a rollback
//     someone asked for and a superseded deployment send none. Lambda hooks
//     send hook events too (HOOK_IN_PROGRESS, HOOK_SUCCEEDED, HOOK_FAILED).
//   - ListServiceDeployments lists newest first; a service's first
//     deployment is its creation, SUCCESSFUL at once. BLUE_GREEN needs
//     bakeTimeInMinutes, LINEAR and CANARY default it to 0; test traffic
//     weights appear only with a testListenerRule; a circuit breaker is
//     shown but never trips. ROLLING services keep deploying at once, with
//     no service deployments, and a native service is not turned back to
//     ROLLING.
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
