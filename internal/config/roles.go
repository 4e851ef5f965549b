package config

import (
	"regexp"
	"time"

	"github.com/switchyard/switchyard"
)

// Roles: an environment names the IAM role the bot assumes to act there
// (role_arn, with external_id when the role's trust policy asks for one).
// An app may give both as the default of its environments. The role's ARN
// names the environment's account; an environment without one is in the
// account of the bot's own credentials.

var (
	// reRoleARN is an IAM role ARN, path included; the name and path use
	// the characters IAM allows.
	reRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/([\w+=,.@/-]{1,512})$`)
	// reExternalID is what STS accepts as ExternalId.
	// (2 to 1224 of them; Go's regexp counts no further than 1000).
	reExternalID = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	// reRoleName is an IAM role name.
	reRoleName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// reClusterAccount reads the account of a cluster ARN.
	reClusterAccount = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:(\d{12}):cluster/`)
)

// Session durations STS allows for a role (DurationSeconds).
const (
	minSession     = 15 * time.Minute
	maxSession     = 12 * time.Hour
	defaultSession = time.Hour
	// DefaultForwardRole is the role, in each account that forwards events
	// to the bot's event bus, that EventBridge uses to put them there.
	DefaultForwardRole = "switchyard-events-forward"
)

// role is the role_arn and external_id of an app or an environment.
type role struct {
	arn, externalID string
}

// parseRole reads role_arn and external_id from m; def fills what m lacks.
func parseRole(p *problems, m *mapping, def role) role {
	arn, an := m.str("role_arn", false)
	ext, en := m.str("external_id", false)
	if arn != "" && !reRoleARN.MatchString(arn) {
		p.add(an, "role_arn %q in %s is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", arn, m.where)
	}
	if ext != "" && (!reExternalID.MatchString(ext) || len(ext) < 2 || len(ext) > 1224) {
		p.add(en, "external_id in %s must be 2 to 1224 letters, digits or +=,.@:/-", m.where)
	}
	if ext != "" && arn == "" && def.arn == "" {
		p.add(en, "%s has an external_id but no role_arn to go with it", m.where)
	}
	if arn == "" {
		arn = def.arn
		if ext == "" {
			ext = def.externalID
		}
	}
	return role{arn: arn, externalID: ext}
}

// checkEnvAccount refuses a cluster ARN in another account than the role's.
func checkEnvAccount(p *problems, m *mapping, e switchyard.Environment) {
	cm := reClusterAccount.FindStringSubmatch(e.Cluster)
	if cm == nil || e.RoleARN == "" {
		return
	}
	if acct := RoleAccount(e.RoleARN); acct != "" && acct != cm[1] {
		p.add(m.node, "%s: the cluster %s is in account %s but role_arn is in account %s", m.where, e.Cluster, cm[1], acct)
	}
}

// parseSessionDuration reads role_session_duration: how long each role
// session lasts before the bot asks STS for a new one.
func parseSessionDuration(p *problems, m *mapping) time.Duration {
	d := m.duration("role_session_duration", defaultSession)
	if d < minSession || d > maxSession {
		p.add(m.get("role_session_duration"), "role_session_duration must be from 15m to 12h (and at most the roles' maximum session duration), not %s", d)
		return defaultSession
	}
	return d
}

// parseForwardRole reads events.forward_role, a role name.
func parseForwardRole(p *problems, m *mapping) string {
	name, n := m.str("forward_role", false)
	switch {
	case name == "":
		return DefaultForwardRole
	case !reRoleName.MatchString(name):
		p.add(n, "forward_role %q is not an IAM role name (letters, digits and +=,.@-, at most 64)", name)
	}
	return name
}

// RoleAccount returns the account an IAM role ARN names, or "".
func RoleAccount(arn string) string {
	if m := reRoleARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}
