package notify

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/config"
)

// event is the part of an EventBridge event notify reads: a CodeDeploy
// deployment state change. The state itself is not trusted (events come
// late, twice, out of order or never); the event only says "look now".
type event struct {
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Detail     struct {
		Application     string `json:"application"`
		DeploymentGroup string `json:"deploymentGroup"`
		DeploymentID    string `json:"deploymentId"`
		State           string `json:"state"`
	} `json:"detail"`
}

const deploymentEvent = "CodeDeploy Deployment State-change Notification"

// errMalformed marks a message that can never be handled.
var errMalformed = errors.New("malformed event")

// readEvents long-polls the queue until ctx ends. A message is deleted
// once handled, or at once when it is malformed or not about a configured
// deployment group; a message whose handling failed stays and comes back
// after its visibility timeout.
func (n *Notifier) readEvents(ctx context.Context) {
	log := n.log.With(zap.String("queue", n.opts.QueueURL))
	failures := 0
	for ctx.Err() == nil {
		out, err := n.queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(n.opts.QueueURL),
			MaxNumberOfMessages: 10,
			WaitTimeSeconds:     20,
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait := min(time.Second<<min(failures, 5), 30*time.Second)
			log.Warn("receive events", zap.Error(err), zap.Duration("retry_in", wait))
			sleep(ctx, wait)
			continue
		}
		failures = 0
		if len(out.Messages) > 0 {
			n.opts.Observer.QueueReceived(len(out.Messages))
		}
		for _, m := range out.Messages {
			n.handleMessage(ctx, log, m)
		}
	}
}

func (n *Notifier) handleMessage(ctx context.Context, log *zap.Logger, m sqstypes.Message) {
	log = log.With(zap.String("message_id", aws.ToString(m.MessageId)))
	err := n.handleEvent(ctx, aws.ToString(m.Body))
	switch {
	case errors.Is(err, errMalformed):
		log.Warn("dropping a malformed event", zap.Error(err))
	case err != nil:
		log.Warn("event not handled; it will come back", zap.Error(err))
		return
	}
	_, err = n.queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl: aws.String(n.opts.QueueURL), ReceiptHandle: m.ReceiptHandle,
	})
	switch {
	case err == nil:
		n.opts.Observer.QueueDeleted()
	case ctx.Err() == nil:
		log.Warn("delete event", zap.Error(err))
	}
}

// deploymentRef is what a CodeDeploy state-change event names: the
// deployment and its application and group. Nothing else of the event is
// used; its state may be stale.
type deploymentRef struct {
	ID, Application, Group string
	// Account and Region are where the deployment runs, from the event's
	// envelope: the same application and group names may exist in each
	// account an environment names.
	Account, Region string
}

var (
	// deploymentID is the shape of a CodeDeploy deployment id.
	deploymentIDPattern = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)
	// codeDeployName is the shape of CodeDeploy application and group
	// names: up to 100 letters, digits and _ + = , . @ -.
	codeDeployName = regexp.MustCompile(`^[\w+=,.@-]{1,100}$`)
	// accountPattern and regionPattern are the shapes of an AWS account
	// ID and a region name.
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
)

// parseEvent reads an SQS message body that EventBridge delivered. It
// returns ok false (and no error) for an event that is not a CodeDeploy
// deployment state change, which the rule may bring along as context, and
// an error wrapping errMalformed for a body that can never be handled:
// not JSON, or a deployment event whose id or names are missing or not
// well formed. Whoever can send to the queue writes the body; nothing of it
// is trusted but the shape-checked names, which only say where to look.
func parseEvent(body string) (ref deploymentRef, ok bool, err error) {
	var ev event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return deploymentRef{}, false, errors.Join(errMalformed, err)
	}
	if ev.Source != "aws.codedeploy" || ev.DetailType != deploymentEvent {
		return deploymentRef{}, false, nil
	}
	ref = deploymentRef{ID: ev.Detail.DeploymentID, Application: ev.Detail.Application, Group: ev.Detail.DeploymentGroup,
		Account: ev.Account, Region: ev.Region}
	switch {
	case ref.ID == "" || ref.Application == "" || ref.Group == "":
		return deploymentRef{}, false, errors.Join(errMalformed, errors.New("no deployment, application or group in the detail"))
	case !deploymentIDPattern.MatchString(ref.ID):
		return deploymentRef{}, false, errors.Join(errMalformed, errors.New("the deployment id is not a CodeDeploy id"))
	case !codeDeployName.MatchString(ref.Application) || !codeDeployName.MatchString(ref.Group):
		return deploymentRef{}, false, errors.Join(errMalformed, errors.New("the application or group is not a CodeDeploy name"))
	case !accountPattern.MatchString(ref.Account) || !regionPattern.MatchString(ref.Region):
		return deploymentRef{}, false, errors.Join(errMalformed, errors.New("the event names no account or region"))
	}
	return ref, true, nil
}

// handleEvent makes sure the deployment an event names is tracked and
// looked at now. A deployment of a configured group that the store does not
// know yet (started outside Slack) gets its record and card here.
func (n *Notifier) handleEvent(ctx context.Context, body string) error {
	if handled, err := n.handleECSEvent(ctx, body); handled {
		return err
	}
	ref, ok, err := parseEvent(body)
	if err != nil || !ok {
		return err
	}
	id := ref.ID
	app, env, ok := n.groupEnv(ref)
	if !ok {
		return nil // a group this bot does not watch
	}
	_, err = n.store.GetDeployment(ctx, id)
	switch {
	case err == nil:
	case switchyard.ErrorCode(err) == switchyard.ENOTFOUND:
		obs, err := n.describe.Describe(ctx, env, id)
		if err != nil {
			return err
		}
		if err := n.adopt(ctx, app, env, obs); err != nil {
			return err
		}
	default:
		return err
	}
	n.Watch(ctx, id)
	return nil
}

// groupEnv finds the configured app and environment of a CodeDeploy
// deployment: its application and deployment group, in its region, and in
// its account where the environment's role names one.
func (n *Notifier) groupEnv(ref deploymentRef) (string, switchyard.Environment, bool) {
	return n.envWhere(ref.Region, ref.Account, func(env switchyard.Environment) bool {
		return env.Application == ref.Application && env.DeploymentGroup == ref.Group
	})
}

// envWhere finds the configured environment in region and account for
// which match holds. An environment with a role is in the role's account,
// one without in the bot's own (Options.Account). When the bot's account
// is unknown, an environment without a role takes what no environment of
// the event's account claims.
func (n *Notifier) envWhere(region, account string, match func(switchyard.Environment) bool) (string, switchyard.Environment, bool) {
	var fallback struct {
		app string
		env switchyard.Environment
		ok  bool
	}
	for _, a := range n.cfg.Apps {
		for _, name := range a.EnvNames() {
			env, _ := a.Env(name)
			if env.Region != region || !match(env) {
				continue
			}
			if env.Name == "" {
				env.Name = name
			}
			acct := config.RoleAccount(env.RoleARN)
			if acct == "" {
				acct = n.opts.Account
			}
			switch {
			case acct == account:
				return a.Name, env, true
			case acct == "" && !fallback.ok:
				fallback.app, fallback.env, fallback.ok = a.Name, env, true
			}
		}
	}
	if fallback.ok {
		return fallback.app, fallback.env, true
	}
	return "", switchyard.Environment{}, false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
