package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/config"
)

// Events from every account and region. An environment is in the account
// its role names (the bot's own without one) and in its region. The rules
// in the bot's own account and events region match every environment's
// deployments; in each other account and region, rules of the same names
// forward that place's events to the bot's default event bus, whose policy
// lets those accounts put them there. A forwarded event keeps its account
// and region, so it still matches the rules at home, which send it to the
// queue. Until a place's forwarding exists the bot follows its deployments
// by polling, and setup says so.

// Place is an account and region the config names, other than the bot's
// own, and the role setup reaches it through ("" for the bot's own
// credentials).
type Place struct {
	Account    string
	Region     string
	RoleARN    string
	ExternalID string

	envs []envAt
}

// envAt is an environment and the account it is in ("" for the bot's own
// when not known yet).
type envAt struct {
	env     switchyard.Environment
	account string
}

const (
	queueTargetID = "switchyard-queue"
	busTargetID   = "switchyard-bus"
	// busStatementPrefix starts the bus policy statement of each account
	// that forwards events.
	busStatementPrefix = "switchyard-forward-"
)

// SetupSession is the session setup acts in through a role: the bot for
// nobody (source identity switchyard, which the deploy role's trust
// policy accepts), named so that CloudTrail tells setup from polling.
var SetupSession = deployer.Session{Name: "switchyard-setup", SourceIdentity: deployer.BotSession.SourceIdentity}

// RoleReach reaches a place through its role with sessions, in
// SetupSession, or with base's credentials where it has none. It asks STS
// at once, so that a role that cannot be assumed is told as such.
func RoleReach(base aws.Config, sessions *deployer.Sessions) Reach {
	return func(ctx context.Context, p Place) (Rules, error) {
		cfg := base.Copy()
		cfg.Region = p.Region
		if p.RoleARN != "" {
			var err error
			cfg, err = sessions.Config(deployer.Role{ARN: p.RoleARN, ExternalID: p.ExternalID}, p.Region, SetupSession)
			if err != nil {
				return nil, err
			}
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				return nil, fmt.Errorf("assume role %s: %w", p.RoleARN, err)
			}
		}
		return eventbridge.NewFromConfig(cfg), nil
	}
}

// collect sorts the configured environments into the bot's own place and
// the others, in the config's order.
func (r *run) collect() (home []envAt, others []Place) {
	for _, a := range r.cfg.Apps {
		for _, name := range a.EnvNames() {
			e, _ := a.Env(name)
			account := r.account
			if e.RoleARN != "" {
				account = config.RoleAccount(e.RoleARN)
			}
			at := envAt{env: e, account: account}
			if account == r.account && e.Region == r.cfg.Events.Region {
				home = append(home, at)
				continue
			}
			i := slices.IndexFunc(others, func(p Place) bool { return p.Account == account && p.Region == e.Region })
			if i < 0 {
				others = append(others, Place{Account: account, Region: e.Region})
				i = len(others) - 1
			}
			if others[i].RoleARN == "" && e.RoleARN != "" {
				others[i].RoleARN, others[i].ExternalID = e.RoleARN, e.ExternalID
			}
			others[i].envs = append(others[i].envs, at)
		}
	}
	return home, others
}

// homeRules writes the rules in the bot's own account: every
// environment's deployments, wherever it is.
func (r *run) homeRules(ctx context.Context) error {
	home, others := r.collect()
	r.places = others
	all := home
	for _, p := range others {
		all = append(all, p.envs...)
	}
	r.wanted = r.wantedRules(all)
	arns, err := r.ensureRules(ctx, r.homeWhere(), r.wanted)
	r.ruleARNs = arns
	return err
}

func (r *run) homeWhere() where {
	return where{account: r.account, region: r.cfg.Events.Region, eb: r.eb, purpose: "for the bot"}
}

func (r *run) homeTargets(ctx context.Context) error {
	target := ebtypes.Target{Id: aws.String(queueTargetID), Arn: aws.String(r.queueARN)}
	return r.ensureTargets(ctx, r.homeWhere(), r.wanted, target, "queue")
}

// busARN is the bot's default event bus.
func (r *run) busARN() string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/default", r.cfg.Events.Region, r.account)
}

// busPolicy lets each other account put events on the bot's bus, one
// statement per account; statements it did not write are left alone.
func (r *run) busPolicy(ctx context.Context) error {
	var accounts []string
	for _, p := range r.places {
		if p.Account != r.account && p.Account != "" {
			accounts = append(accounts, p.Account)
		}
	}
	accounts = uniqueSorted(accounts)
	if len(accounts) == 0 {
		return nil
	}
	bus, err := r.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("default")})
	if err != nil {
		return explain(err, "read the policy of the default event bus")
	}
	have := busStatements(aws.ToString(bus.Policy))
	for _, account := range accounts {
		sid := busStatementPrefix + account
		outcome := Created
		if st, ok := have[sid]; ok {
			outcome = Changed
			if st.allows(account, r.busARN()) {
				outcome = Found
			}
		}
		if outcome != Found && !r.dry {
			if _, err := r.eb.PutPermission(ctx, &eventbridge.PutPermissionInput{
				EventBusName: aws.String("default"), Action: aws.String("events:PutEvents"),
				Principal: aws.String(account), StatementId: aws.String(sid),
			}); err != nil {
				return explain(err, "let account "+account+" put events on the default event bus")
			}
		}
		r.home("bus policy", sid, outcome, "account "+account+" may put events on the bot's bus")
	}
	return nil
}

// busStatement is a statement of an event bus policy, as far as setup
// checks it.
type busStatement struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition any
}

func busStatements(policy string) map[string]busStatement {
	var doc struct{ Statement []busStatement }
	out := map[string]busStatement{}
	if json.Unmarshal([]byte(policy), &doc) == nil {
		for _, st := range doc.Statement {
			out[st.Sid] = st
		}
	}
	return out
}

// allows reports whether the statement lets account put events on bus,
// unconditionally.
func (st busStatement) allows(account, bus string) bool {
	principal := ""
	if m, ok := st.Principal.(map[string]any); ok {
		principal, _ = m["AWS"].(string)
	}
	return st.Effect == "Allow" && st.Condition == nil && st.Action == "events:PutEvents" && st.Resource == bus &&
		(principal == "arn:aws:iam::"+account+":root" || principal == account)
}

// forwardAll builds the forwarding of every other place, going on after a
// place it cannot reach, and says which are missing.
func (r *run) forwardAll(ctx context.Context) error {
	var errs []error
	var missing []string
	for _, p := range r.places {
		if err := r.forward(ctx, p); err != nil {
			errs = append(errs, err)
			missing = append(missing, p.Account+" "+p.Region)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("events from %s are not forwarded to the bot yet; until they are, the bot follows the deployments there by polling: %w",
		strings.Join(missing, ", "), errors.Join(errs...))
}

// forward writes in place the rules forwarding its events to the bot's
// bus, through the role EventBridge uses to put them there.
func (r *run) forward(ctx context.Context, p Place) error {
	name := r.cfg.Events.Rule
	polling := "until it exists, the bot follows deployments there by polling"
	if r.reach == nil {
		r.report(p.Account, p.Region, "forwarding", name, Missing, "setup was not given a way to reach it; "+polling)
		return nil
	}
	through := "the bot's own credentials"
	if p.RoleARN != "" {
		through = "role " + p.RoleARN
	}
	eb, err := r.reach(ctx, p)
	if err == nil {
		w := where{account: p.Account, region: p.Region, eb: eb, purpose: "forwarded to the bot's event bus"}
		wanted := r.wantedRules(p.envs)
		target := ebtypes.Target{
			Id:      aws.String(busTargetID),
			Arn:     aws.String(r.busARN()),
			RoleArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s", p.Account, r.cfg.Events.ForwardRole)),
		}
		if _, err = r.ensureRules(ctx, w, wanted); err == nil {
			err = r.ensureTargets(ctx, w, wanted, target, "bot's bus")
		}
	}
	if err != nil {
		r.report(p.Account, p.Region, "forwarding", name, Missing, "could not set it up through "+through+"; "+polling)
		return fmt.Errorf("%s %s through %s: %w", p.Account, p.Region, through, err)
	}
	return nil
}
