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
