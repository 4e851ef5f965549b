package awssim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// IAM, as far as the simulator needs it: roles that STS lets principals
// assume, each with its trust policy and maximum session duration. Roles
// are global, one registry for every partition. They are declared in the
// world or with PutRole; there is no IAM API, and no identity-based
// policy: every principal may call every action (Deny excepted), so the
// trust policy is the one permission check of AssumeRole. Permission
// policies of roles and session policies are accepted and not enforced.
type iamState struct {
	roles map[string]*iamRole // by ARN
}

type iamRole struct {
	arn, name, account, id string
	trust                  *policyDoc
	maxSession             time.Duration
}

// RoleSeed is an IAM role in a world file or for PutRole.
type RoleSeed struct {
	Name string `yaml:"name"`
	// Account owns the role; it defaults to the account of the world or
	// partition that declares it.
	Account string `yaml:"account"`
	// Path is the role's path ("/" by default): /service-role/ makes
	// arn:aws:iam::ACCOUNT:role/service-role/NAME.
	Path string `yaml:"path"`
	// TrustPolicy is who may assume the role (IAM's
	// AssumeRolePolicyDocument): a JSON string, or the document written
	// out in YAML.
	TrustPolicy any `yaml:"trustPolicy"`
	// MaxSessionDuration is in seconds: 3600 (the default) to 43200.
	MaxSessionDuration int `yaml:"maxSessionDuration"`
}

var (
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRE = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	roleArnRE  = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\x21-\x7E]*/)?([\w+=,.@-]{1,64})$`)
)

// PutRole creates or replaces an IAM role and returns its ARN. The role
// belongs to r.Account, or to this partition's account when that is empty.
func (s *Sim) PutRole(r RoleSeed) (string, error) {
	if r.Account == "" {
		r.Account = s.account
	}
	role, err := newRole(r)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.front.iam.roles[role.arn] = role
	return role.arn, nil
}

// newRole validates a role seed as IAM's CreateRole would.
func newRole(r RoleSeed) (*iamRole, error) {
	if !roleNameRE.MatchString(r.Name) {
		return nil, fmt.Errorf("role %q: a name of 1 to 64 characters [A-Za-z0-9_+=,.@-] is needed", r.Name)
	}
	if !accountRE.MatchString(r.Account) {
		return nil, fmt.Errorf("role %s: account %q is not 12 digits", r.Name, r.Account)
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if !rolePathRE.MatchString(r.Path) || len(r.Path) > 512 {
		return nil, fmt.Errorf("role %s: path %q must begin and end with /", r.Name, r.Path)
	}
	maxSession := r.MaxSessionDuration
	if maxSession == 0 {
		maxSession = 3600
	}
	if maxSession < 3600 || maxSession > 43200 {
		return nil, fmt.Errorf("role %s: maxSessionDuration %d is not between 3600 and 43200 seconds", r.Name, maxSession)
	}
	doc, err := trustDocument(r.TrustPolicy)
	if err != nil {
		return nil, fmt.Errorf("role %s: trust policy: %w", r.Name, err)
	}
	trust, err := parsePolicy(doc)
	if err != nil {
		return nil, fmt.Errorf("role %s: trust policy: %w", r.Name, err)
	}
	for _, st := range trust.Statement {
		for _, a := range st.Action {
			if !strings.HasPrefix(strings.ToLower(a), "sts:") && a != "*" {
				return nil, fmt.Errorf("role %s: trust policy: action %s is not an sts action", r.Name, a)
			}
		}
	}
	arn := "arn:aws:iam::" + r.Account + ":role" + r.Path + r.Name
	return &iamRole{arn: arn, name: r.Name, account: r.Account, id: uniqueID("AROA", arn),
		trust: trust, maxSession: time.Duration(maxSession) * time.Second}, nil
}

// trustDocument turns a seed's trust policy (JSON text, or a YAML
// mapping) into JSON text.
func trustDocument(v any) (string, error) {
	switch d := v.(type) {
	case nil:
		return "", fmt.Errorf("missing")
	case string:
		return d, nil
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return "", fmt.Errorf("not JSON-shaped: %w", err)
		}
		return string(b), nil
	}
}

// roleLocked finds a role by ARN. Call with s.mu held.
func (f *front) roleLocked(arn string) *iamRole {
	return f.iam.roles[arn]
}
