package deployer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/switchyard/switchyard"
)

// Who acts where. An environment without a role is reached with the bot's
// own credentials, as it always was. In an environment with a role, every
// action made for a person (Start, Rollback, Continue: their reads and
// their writes) runs in a session of that role for that person, and
// everything else (Plan, Describe, Recent, Alarms) in the role's session
// for nobody, BotSession. The session is retrieved before the first call,
// so that a role AWS will not let the bot assume is refused in words and
// nothing is done.

// clientSource gives the clients of env in region: for the bot itself
// when by is nil, else for the person by names.
type clientSource interface {
	clients(ctx context.Context, env switchyard.Environment, region string, by *switchyard.Actor) (Clients, error)
}

// fixedClients is New's source: the same clients everywhere, as given.
type fixedClients Clients

func (f fixedClients) clients(context.Context, switchyard.Environment, string, *switchyard.Actor) (Clients, error) {
	return Clients(f), nil
}

// configClients builds real SDK clients: per region with the bot's own
// credentials, and per (session, region) through roles.
type configClients struct {
	base     aws.Config
	sessions *Sessions

	mu    sync.Mutex
	own   map[string]Clients
	roles *lru[string, roleClients]
}

// roleClients are the clients of one session in one region, and the
// credentials they were built on: when Sessions has dropped and remade the
// session, they are built again.
type roleClients struct {
	creds   *aws.CredentialsCache
	clients Clients
}

func newConfigClients(base aws.Config, sessions *Sessions) *configClients {
	return &configClients{base: base, sessions: sessions, own: map[string]Clients{}, roles: newLRU[string, roleClients](4096)}
}

func (s *configClients) clients(ctx context.Context, env switchyard.Environment, region string, by *switchyard.Actor) (Clients, error) {
	if region == "" {
		region = env.Region
	}
	if env.RoleARN == "" {
		return s.ownClients(region), nil
	}
	who := BotSession
	if by != nil {
		var err error
		if who, err = personSession(env, *by); err != nil {
			return Clients{}, err
		}
	}
	role := Role{ARN: env.RoleARN, ExternalID: env.ExternalID}
	creds, err := s.sessions.Credentials(role, who)
	if err != nil {
		return Clients{}, switchyard.Wrap(switchyard.EINVALID, fmt.Sprintf(
			"The bot cannot ask for a session of role %s in environment %s for this person, so nothing was done.", role.ARN, env.Name),
			fmt.Errorf("role session: %w", err))
	}
	if _, err := creds.Retrieve(ctx); err != nil {
		return Clients{}, refusal(err, role, env, by != nil)
	}
	key := sessionKey(role, who) + region
	s.mu.Lock()
	defer s.mu.Unlock()
	if rc, ok := s.roles.get(key); ok && rc.creds == creds {
		return rc.clients, nil
	}
	cfg := s.sessions.base.Copy()
	cfg.Region, cfg.Credentials = region, creds
	c := ClientsFromConfig(cfg)
	s.roles.put(key, roleClients{creds: creds, clients: c})
	return c, nil
}

func (s *configClients) ownClients(region string) Clients {
	if region == "" {
		region = s.base.Region
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.own[region]
	if !ok {
		rc := s.base.Copy()
		rc.Region = region
		c = ClientsFromConfig(rc)
		s.own[region] = c
	}
	return c
}

// slackUser is the shape of a Slack user ID; only such a user becomes a
// source identity, so that no one passes for the bot itself.
var slackUser = regexp.MustCompile(`^[UW][A-Z0-9]{1,63}$`)

// Session tag keys a role's policies can name (aws:PrincipalTag/App).
const (
	TagSlackUser   = "SlackUser"
	TagSlackTeam   = "SlackTeam"
	TagApp         = "App"
	TagEnvironment = "Environment"
)

// personSession is the session of a role for the person by names: their
// Slack user ID as session name and source identity, tagged with the user,
// team, app and environment.
func personSession(env switchyard.Environment, by switchyard.Actor) (Session, error) {
	if !slackUser.MatchString(by.User) {
		return Session{}, switchyard.Errorf(switchyard.EINVALID,
			"The bot acts in environment %s only for a Slack user, and %q is not one, so nothing was done.", env.Name, by.User)
	}
	tags := map[string]string{TagSlackUser: by.User, TagEnvironment: env.Name}
	if by.Team != "" {
		tags[TagSlackTeam] = by.Team
	}
	if env.App != "" {
		tags[TagApp] = env.App
	}
	return Session{Name: by.User, SourceIdentity: by.User, Tags: tags}, nil
}

// refusal is the sentence for a role that could not be assumed. It names
// the role and the environment (configuration, safe to show) and the AWS
// error code, never STS's message, which names the bot's own identity.
func refusal(err error, role Role, env switchyard.Environment, forPerson bool) error {
	cause := fmt.Errorf("assume role %s: %w", role.ARN, err)
	outcome := "so nothing was done"
	if !forPerson {
		outcome = "so the bot cannot read it"
	}
	code := apiCode(err)
	say := func(c, why string) error {
		return switchyard.Wrap(c, fmt.Sprintf("The bot could not assume role %s for environment %s, %s: %s.",
			role.ARN, env.Name, outcome, why), cause)
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return say(switchyard.EUNAVAILABLE, "STS did not answer in time")
	case code == "AccessDenied":
		return say(switchyard.EFORBIDDEN, "AWS refused it (AccessDenied); the role's trust policy must allow the bot "+
			"sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession for a Slack user's ID, with the right external ID")
	case code == "ValidationError":
		return say(switchyard.EINVALID, "STS found the request invalid (ValidationError); check role_session_duration against the role's maximum")
	case code == "RegionDisabledException":
		return say(switchyard.EFORBIDDEN, "STS is not enabled in the bot's region for that account")
	case deniedCodes[code]:
		return say(switchyard.EFORBIDDEN, "the bot's own AWS credentials were refused ("+code+")")
	case throttleCodes[code], serverCodes[code], code == "":
		return say(switchyard.EUNAVAILABLE, "STS could not be reached or was busy; try again shortly")
	default:
		return say(switchyard.EFORBIDDEN, "STS answered "+code)
	}
}
