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
// Task definitions come back as ECS returns them: a container that set no
// cpu, essential, portMappings, environment, mountPoints, volumesFrom or
// systemControls gets 0, true and empty lists, and the task definition empty
// volumes and placementConstraints, so a described definition registered
// again reads back field for field. Fields ECS adds only in some accounts
// or agent versions are not invented.
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
// LoseAnswer makes the next call of an action (JSON protocols) do its work
// and then close the connection unanswered, SetAlarm puts a watched alarm into ALARM mid-deployment, and the
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
// Any secret works, and any access key (see Accounts for what the key
// decides); the region decides the partition. To run a tool as a child
// process, sim.Environ(os.Environ()) gives it all of that at once:
// endpoint, region, credentials, no machine configuration.
//
// # Accounts and regions
//
// The simulator holds one partition per (account, region), each a *Sim
// with its own ECS, ECR, CloudWatch, CodeDeploy, EventBridge, SQS and
// CloudTrail state; they share the endpoint, the lock, the simulated clock
// (Advance on any partition plays every partition's due steps in time
// order), IAM roles and STS sessions. New returns the root partition
// (Options.Account, default 123456789012, and Options.Region), and every
// existing call (Seed, PutService, SetAlarm, Deny, Events, ...) acts there
// as it always did. sim.Partition(account, region) returns another, made on
// first use; its Config and Environ carry a key of its account.
//
// A request's account follows LocalStack's convention for access keys: a
// key of exactly 12 digits acts in that account
// (AWS_ACCESS_KEY_ID=210987654321); a key that STS minted (ASIA…) acts in its role's account
// and must come with its session token (X-Amz-Security-Token), unexpired;
// any other key, or none, acts in the root partition's account. LocalStack
// also takes a 12-digit prefix and decodes its own LSIA/LKIA keys; the
// simulator does neither. The region is the SigV4 credential scope's (an
// unsigned request's is the root's). Plain keys act as the IAM user
// "switchyard" of their account, never as the root user, which AWS does not
// let assume roles. Signatures are not verified.
//
// A world describes further partitions under accounts, each written like a
// world with its account and region, and IAM roles under roles (see
// testdata/accounts.yaml):
//
//	roles:
//	  - name: switchyard-deploy
//	    account: "210987654321"        # defaults to the enclosing world's
//	    maxSessionDuration: 7200       # seconds, 3600 (default) to 43200
//	    trustPolicy: {Version: "2012-10-17", Statement: [...]}   # or JSON text
//	accounts:
//	  - account: "210987654321"
//	    region: eu-west-1
//	    clusters: [...]
//
// PutRole adds a role from Go.
//
// # STS and IAM
//
// STS speaks awsQuery (form posts, XML answers with the request ID in the
// X-Amzn-Requestid header and in the body, ErrorResponse for errors):
// AssumeRole and GetCallerIdentity; other actions answer InvalidAction.
// AssumeRole validates as STS does (session name and source identity 2–64
// [\w+=,.@-], DurationSeconds 900–43200 and within the role's maximum, an
// hour when chaining, at most 50 tags of 128/256 characters, keys unique
// regardless of case, ExternalId 2–1224), then asks the role's trust policy
// for sts:AssumeRole, sts:SetSourceIdentity when a source identity is set
// and sts:TagSession when tags are: principals by account (12 digits or
// :root), role, user or session ARN, or "*"; conditions StringEquals,
// StringNotEquals, StringEqualsIgnoreCase, StringLike, StringNotLike, Arn*,
// Bool and Null, with IfExists and ForAnyValue:/ForAllValues:, on
// sts:ExternalId, sts:SourceIdentity, sts:RoleSessionName,
// sts:TransitiveTagKeys, aws:RequestTag/K, aws:TagKeys,
// aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalType,
// aws:SourceIdentity and aws:PrincipalTag/K. Refusals read as AWS words
// them ("User: ARN is not authorized to perform: sts:AssumeRole on
// resource: ROLE"), a missing role included. A chained session keeps its
// source identity (another one is refused) and its transitive tags (a tag
// of the same key is refused). Sessions expire in real time, as the SDKs
// reckon it, not on the simulated clock: then ExpiredToken (STS) or
// ExpiredTokenException; an unknown key or wrong token gives
// InvalidClientTokenId or UnrecognizedClientException.
//
// Not simulated: identity-based and session policies (every principal may
// call every action, Deny excepted: faults are per partition), role tags,
// MFA, permission boundaries, the other STS actions and the IAM API.
//
// # CloudTrail
//
// Every management write call (not Describe*, List*, Get*, BatchGet*,
// Receive*, Lookup*, Test*; not the data events SendMessage, DeleteMessage,
// ChangeMessageVisibility and their batches, PutEvents, PutMetricData) that
// reaches a handler is recorded at the router, failures with their
// errorCode and errorMessage, in the partition it acted in: userIdentity as
// CloudTrail writes it (IAMUser, or AssumedRole with the session ARN and
// sessionContext.sessionIssuer and sourceIdentity), requestParameters and
// responseElements with camelCase member names, and the resources the call
// named. AssumeRole is recorded (readOnly, as CloudTrail marks it) in the
// caller's account and, across accounts, in the role's, where the caller
// shows as an AWSAccount; the pair shares a sharedEventID; tokens and
// secrets stay out. LookupEvents (JSON 1.1, X-Amz-Target
// ...CloudTrail_20131101.LookupEvents) reads a partition's history newest
// first with one LookupAttribute (EventId, EventName, ReadOnly, Username, a
// session's name for a session, ResourceType, ResourceName, EventSource,
// AccessKeyId), StartTime/EndTime, MaxResults and NextToken; Trail returns
// it in Go. History keeps 90 simulated days and the last 10,000 events;
// read calls other than AssumeRole, trails, insights and LookupEvents'
// rate limit are not simulated.
//
// # Event buses across accounts
//
// Each partition's default bus has a resource policy: PutPermission
// (events:PutEvents for a 12-digit principal, which becomes
// arn:aws:iam::ACCOUNT:root, or "*" with an aws:PrincipalOrgID condition;
// a statement ID given again replaces its statement; or a whole Policy),
// RemovePermission and DescribeEventBus's Policy. A rule may target another
// partition's default bus (arn:aws:events:REGION:ACCOUNT:event-bus/default):
// PutTargets refuses it with AccessDeniedException unless that bus's policy
// lets the rule's account put events, and fails the entry when the bus is
// in another region and the target has no RoleArn (the role is not
// checked) or, in another account, it has Input, InputPath or
// InputTransformer. A matching event then lands on that bus unchanged (the
// sender's account, region and id) if the policy still allows it, else it
// is dropped and counted; an event received from another account is not
// forwarded again, and one account's events go at most three buses on.
// Organizations are not simulated, so aws:PrincipalOrgID never matches.
package awssim
