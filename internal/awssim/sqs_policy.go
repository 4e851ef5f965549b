package awssim

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// queuePolicy is the part of an SQS access policy the simulator evaluates:
// whether a service principal may sqs:SendMessage from a source ARN.
type queuePolicy struct {
	Statement []policyStatement
}

type policyStatement struct {
	Effect    string
	Principal any // "*", {"Service": "x" | [...]}, {"AWS": "*"}
	Action    stringOrList
	Resource  stringOrList
	Condition map[string]map[string]stringOrList
}

// stringOrList is an IAM policy value that is one string or a list.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a string or a list of strings")
	}
	*s = many
	return nil
}

// parsePolicy parses a queue policy as SetQueueAttributes validates it: a
// JSON object whose Statement is one statement or a list, each with an
// Effect of Allow or Deny.
func parsePolicy(doc string) (*queuePolicy, error) {
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, err
	}
	if len(raw.Statement) == 0 {
		return nil, errors.New("policy has no Statement")
	}
	var p queuePolicy
	if strings.HasPrefix(strings.TrimSpace(string(raw.Statement)), "[") {
		if err := json.Unmarshal(raw.Statement, &p.Statement); err != nil {
			return nil, err
		}
	} else {
		var st policyStatement
		if err := json.Unmarshal(raw.Statement, &st); err != nil {
			return nil, err
		}
		p.Statement = []policyStatement{st}
	}
	for _, st := range p.Statement {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, errors.New("statement Effect must be Allow or Deny")
		}
		if st.Principal == nil || len(st.Action) == 0 {
			return nil, errors.New("statement needs Principal and Action")
		}
	}
	return &p, nil
}

// allowsService reports whether the policy lets the service principal
// (events.amazonaws.com) call sqs:SendMessage on queueArn for sourceArn: some
// Allow statement matches and no Deny statement does. A condition the
// simulator does not understand never matches, so an exotic policy drops
// events rather than delivering ones AWS would refuse.
func (p *queuePolicy) allowsService(service, queueArn, sourceArn string) bool {
	allowed := false
	for _, st := range p.Statement {
		if !st.matches(service, queueArn, sourceArn) {
			continue
		}
		if st.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st policyStatement) matches(service, queueArn, sourceArn string) bool {
	if !principalMatches(st.Principal, service) {
		return false
	}
	if !anyMatch(st.Action, "sqs:SendMessage", true) {
		return false
	}
	if len(st.Resource) > 0 && !anyMatch(st.Resource, queueArn, false) {
		return false
	}
	for op, conds := range st.Condition {
		for key, vals := range conds {
			if !strings.EqualFold(key, "aws:SourceArn") {
				return false
			}
			switch op {
			case "ArnEquals", "StringEquals":
				if !contains(vals, sourceArn) {
					return false
				}
			case "ArnLike", "StringLike":
				if !anyMatch(vals, sourceArn, false) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

func principalMatches(p any, service string) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]any:
		if aws, ok := v["AWS"].(string); ok && aws == "*" {
			return true
		}
		switch svc := v["Service"].(type) {
		case string:
			return svc == service
		case []any:
			for _, x := range svc {
				if x == service {
					return true
				}
			}
		}
	}
	return false
}

// anyMatch reports whether one of the IAM patterns (with * and ? wildcards)
// matches value; actions compare case-insensitively.
func anyMatch(patterns []string, value string, fold bool) bool {
	for _, pat := range patterns {
		if fold {
			pat, value = strings.ToLower(pat), strings.ToLower(value)
		}
		if wildcardMatch(pat, value) {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// wildcardMatch matches IAM wildcards: * is any run of characters (slashes
// included), ? one character.
func wildcardMatch(pattern, value string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == value
	}
	expr := regexp.QuoteMeta(pattern)
	expr = strings.ReplaceAll(expr, `\*`, ".*")
	expr = strings.ReplaceAll(expr, `\?`, ".")
	ok, _ := regexp.MatchString("^"+expr+"$", value)
	return ok
}
