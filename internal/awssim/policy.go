package awssim

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// IAM policy documents as the simulator evaluates them: SQS queue policies,
// EventBridge bus policies and IAM role trust policies. An Allow statement
// must match (principal, action, resource, every condition) and no Deny
// statement may. What the simulator does not understand (NotPrincipal,
// NotAction, an unknown condition operator) never matches, so an exotic
// policy refuses rather than allows what AWS might refuse.
type policyDoc struct {
	Statement []policyStatement
}

type policyStatement struct {
	Sid       string `json:",omitempty"`
	Effect    string
	Principal any                                `json:",omitempty"` // "*", {"AWS": …}, {"Service": …}
	Action    stringOrList                       `json:",omitempty"`
	Resource  stringOrList                       `json:",omitempty"`
	Condition map[string]map[string]stringOrList `json:",omitempty"`
	// NotPrincipal and NotAction are kept only to refuse them.
	NotPrincipal any          `json:",omitempty"`
	NotAction    stringOrList `json:",omitempty"`
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

// parsePolicy parses a policy document as SetQueueAttributes, PutPermission
// and IAM validate it: a JSON object whose Statement is one statement or a
// list, each with an Effect of Allow or Deny, a principal and an action.
func parsePolicy(doc string) (*policyDoc, error) {
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
	var p policyDoc
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
		if (st.Principal == nil && st.NotPrincipal == nil) || (len(st.Action) == 0 && len(st.NotAction) == 0) {
			return nil, errors.New("statement needs Principal and Action")
		}
	}
	return &p, nil
}

// policyRequest is one request as a policy sees it.
type policyRequest struct {
	service  string   // a service principal (events.amazonaws.com), or ""
	account  string   // the calling AWS principal's account
	arns     []string // the ARNs that name the calling principal
	action   string
	resource string // "" when the policy is the resource's own (trust policies)
	// context holds the condition keys of the request, lower case.
	context map[string][]string
	// lenient passes conditions on keys the request cannot know yet
	// (PutTargets cannot know the source of events it will forward).
	lenient bool
}

// allows reports whether some Allow statement matches r and no Deny
// statement does.
func (p *policyDoc) allows(r policyRequest) bool {
	allowed := false
	for _, st := range p.Statement {
		if !st.matches(r) {
			continue
		}
		if st.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st policyStatement) matches(r policyRequest) bool {
	if st.NotPrincipal != nil || len(st.NotAction) > 0 {
		return false
	}
	if !principalMatches(st.Principal, r) || !anyMatch(st.Action, r.action, true) {
		return false
	}
	if r.resource != "" && len(st.Resource) > 0 && !anyMatch(st.Resource, r.resource, false) {
		return false
	}
	for op, conds := range st.Condition {
		for key, want := range conds {
			if !conditionHolds(op, strings.ToLower(key), want, r) {
				return false
			}
		}
	}
	return true
}

// principalMatches: "*" is anyone; {"AWS": X} names an account (12 digits
// or arn:aws:iam::ACCOUNT:root, meaning any principal of it) or one
// principal by ARN; {"Service": X} a service.
func principalMatches(p any, r policyRequest) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]any:
		for _, aws := range listOf(v["AWS"]) {
			if aws == "*" {
				return true
			}
			if r.account != "" && (aws == r.account || aws == "arn:aws:iam::"+r.account+":root") {
				return true
			}
			if contains(r.arns, aws) {
				return true
			}
		}
		return r.service != "" && contains(listOf(v["Service"]), r.service)
	}
	return false
}

// listOf reads a JSON value that is one string or a list of them.
func listOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// conditionHolds evaluates one operator on one key: StringEquals,
// StringNotEquals, StringEqualsIgnoreCase, StringLike, StringNotLike,
// ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool and Null, with the
// ForAnyValue:/ForAllValues: set prefixes and the IfExists suffix. A key
// the request lacks fails a positive operator and passes a negated one.
func conditionHolds(op, key string, want []string, r policyRequest) bool {
	have, present := r.context[key]
	base, set := op, ""
	if p, rest, ok := strings.Cut(op, ":"); ok {
		set, base = p, rest
	}
	base, ifExists := strings.CutSuffix(base, "IfExists")
	if base == "Null" {
		return len(want) == 1 && (want[0] == "true") != present
	}
	negated, match := valueMatcher(base)
	if match == nil {
		return false
	}
	if !present {
		return ifExists || negated || r.lenient || set == "ForAllValues"
	}
	anyMatches := func(v string) bool {
		for _, w := range want {
			if match(w, v) {
				return true
			}
		}
		return false
	}
	switch set {
	case "ForAllValues":
		for _, v := range have {
			if anyMatches(v) == negated {
				return false
			}
		}
		return true
	case "", "ForAnyValue":
		for _, v := range have {
			if anyMatches(v) != negated {
				return true
			}
		}
		return negated && set == "" && len(have) == 0
	}
	return false
}

// valueMatcher returns how an operator compares a policy value with a
// request value, and whether it is the negated form.
func valueMatcher(op string) (negated bool, match func(want, have string) bool) {
	switch op {
	case "StringEquals", "ArnEquals", "Bool":
		return false, func(w, h string) bool { return w == h }
	case "StringNotEquals", "ArnNotEquals":
		return true, func(w, h string) bool { return w == h }
	case "StringEqualsIgnoreCase":
		return false, strings.EqualFold
	case "StringNotEqualsIgnoreCase":
		return true, strings.EqualFold
	case "StringLike", "ArnLike":
		return false, wildcardMatch
	case "StringNotLike", "ArnNotLike":
		return true, wildcardMatch
	}
	return false, nil
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
