package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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

// Environments names the environments in the place, "app env", in the
// config's order.
func (p Place) Environments() []string {
	var out []string
	for _, e := range p.envs {
		out = append(out, e.env.App+" "+e.env.Name)
	}
	return out
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
	r.home, r.places = r.collect()
	all := slices.Clone(r.home)
	for _, p := range r.places {
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
	name, _ := queueName(r.cfg.Events.Queue)
	target := ebtypes.Target{Id: aws.String(queueTargetID), Arn: aws.String(r.queueARN)}
	return r.ensureTargets(ctx, r.homeWhere(), r.wanted, target, "queue", "sending to the queue "+name, "")
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
		outcome, detail := Created, ""
		if st, ok := have[sid]; ok {
			outcome, detail = Changed, "it had another principal, action or resource, or a condition"
			if st.allows(account, r.busARN()) {
				outcome, detail = Found, ""
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
		r.addHome(Step{Resource: "bus policy", Name: sid, Outcome: outcome, Detail: detail,
			Does: "letting account " + account + " put events on the bot's event bus"})
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
// place it cannot reach; each environment there gets a warning.
func (r *run) forwardAll(ctx context.Context) error {
	var errs []error
	var envs []string
	for _, p := range r.places {
		if err := r.forward(ctx, p); err != nil {
			errs = append(errs, err)
			envs = append(envs, p.Environments()...)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &NotArrivingError{Environments: envs, Causes: errs}
}

// NotArrivingError is the error of a run after which the events of some
// environments will not arrive: setup could not build their forwarding.
// The report's warnings say why and what to do.
type NotArrivingError struct {
	Environments []string // "app env"
	Causes       []error
}

func (e *NotArrivingError) Error() string {
	return "the events of " + andList(e.Environments) + " will not arrive yet (the warnings say why and what to do): " + errors.Join(e.Causes...).Error()
}

// Unwrap returns the causes, one per place.
func (e *NotArrivingError) Unwrap() []error { return e.Causes }

// polling is what the bot does meanwhile.
const polling = "Until then the bot follows its deployments by polling, so cards still move, a little later."

// forward writes in place the rules forwarding its events to the bot's
// bus, through the role EventBridge uses to put them there.
func (r *run) forward(ctx context.Context, p Place) error {
	name := r.cfg.Events.Rule
	if r.reach == nil {
		r.add(p.Account, p.Region, Step{Resource: "forwarding", Name: name, Outcome: Missing, Detail: "setup was not given a way to reach this account and region"})
		r.warn(p, "setup was not given a way to reach account "+p.Account+" in "+p.Region,
			"run bot setup, which reaches it through the environment's role.")
		return nil
	}
	through, fix := "the bot's own credentials", "grant these credentials the Setup statements of iam-policy.json"
	if p.RoleARN != "" {
		through, fix = "role "+p.RoleARN, "grant the role the Setup statements of iam/deploy-role-policy.json"
	}
	eb, err := r.reach(ctx, p)
	if err != nil {
		if p.RoleARN != "" {
			fix = "let these credentials assume the role (the role's trust policy is iam/deploy-role-trust.json, theirs iam/setup-policy.json)"
		}
		r.add(p.Account, p.Region, Step{Resource: "forwarding", Name: name, Outcome: Missing, Detail: "setup could not reach this account through " + through})
		r.warn(p, "setup could not reach account "+p.Account+" in "+p.Region+" through "+through+" ("+awsWords(err)+")",
			fix+", then run bot setup again.")
		return fmt.Errorf("%s %s through %s: %w", p.Account, p.Region, through, err)
	}
	w := where{account: p.Account, region: p.Region, eb: eb, purpose: "forwarded to the bot's event bus"}
	wanted := r.wantedRules(p.envs)
	forwardRole := fmt.Sprintf("arn:aws:iam::%s:role/%s", p.Account, r.cfg.Events.ForwardRole)
	target := ebtypes.Target{Id: aws.String(busTargetID), Arn: aws.String(r.busARN()), RoleArn: aws.String(forwardRole)}
	does := "sending to the bot's event bus in " + r.account + " " + r.cfg.Events.Region + " as role " + r.cfg.Events.ForwardRole
	if _, err = r.ensureRules(ctx, w, wanted); err == nil {
		err = r.ensureTargets(ctx, w, wanted, target, "bot's bus", does,
			"setup cannot see that role: create it from iam/forward-role-*.json if it is not there")
	}
	if err != nil {
		r.add(p.Account, p.Region, Step{Resource: "forwarding", Name: name, Outcome: Missing, Detail: "setup could not finish it through " + through})
		r.warn(p, "setup could not build the forwarding in account "+p.Account+", "+p.Region+" through "+through+" ("+awsWords(err)+")",
			fix+", then run bot setup again.")
		return fmt.Errorf("%s %s through %s: %w", p.Account, p.Region, through, err)
	}
	return nil
}

// warn adds a warning for each environment of p.
func (r *run) warn(p Place, why, fix string) {
	for _, e := range p.envs {
		r.warnings = append(r.warnings, Warning{App: e.env.App, Env: e.env.Name, Account: p.Account, Region: p.Region,
			Why: why, Fix: fix + " " + polling})
	}
}
