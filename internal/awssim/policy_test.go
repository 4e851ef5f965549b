package awssim

import (
	"fmt"
	"testing"
)

func TestPolicyEvaluation(t *testing.T) {
	session := policyRequest{account: "123456789012", action: "sts:AssumeRole",
		arns: []string{"arn:aws:sts::123456789012:assumed-role/deploy/alice", "arn:aws:iam::123456789012:role/deploy"},
		context: map[string][]string{
			"sts:sourceidentity": {"U0ALICE"},
			"aws:tagkeys":        {"team", "env"},
		}}
	stmt := func(principal, action, cond string) string {
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		return fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Principal":%s,"Action":%s%s}]}`, principal, action, cond)
	}
	for _, c := range []struct {
		name, doc string
		want      bool
	}{
		{"anyone", stmt(`"*"`, `"sts:AssumeRole"`, ""), true},
		{"the account by number", stmt(`{"AWS":"123456789012"}`, `"sts:AssumeRole"`, ""), true},
		{"the account's root", stmt(`{"AWS":["arn:aws:iam::999999999999:root","arn:aws:iam::123456789012:root"]}`, `"sts:*"`, ""), true},
		{"another account", stmt(`{"AWS":"arn:aws:iam::999999999999:root"}`, `"sts:AssumeRole"`, ""), false},
		{"the session's role", stmt(`{"AWS":"arn:aws:iam::123456789012:role/deploy"}`, `"sts:AssumeRole"`, ""), true},
		{"another role", stmt(`{"AWS":"arn:aws:iam::123456789012:role/other"}`, `"sts:AssumeRole"`, ""), false},
		{"a service only", stmt(`{"Service":"events.amazonaws.com"}`, `"sts:AssumeRole"`, ""), false},
		{"another action", stmt(`"*"`, `["sts:TagSession"]`, ""), false},
		{"action case", stmt(`"*"`, `"STS:assumerole"`, ""), true},
		{"StringEquals", stmt(`"*"`, `"*"`, `{"StringEquals":{"sts:SourceIdentity":"U0ALICE"}}`), true},
		{"StringEquals, key in other case", stmt(`"*"`, `"*"`, `{"StringEquals":{"STS:SOURCEIDENTITY":"U0ALICE"}}`), true},
		{"StringEquals, other value", stmt(`"*"`, `"*"`, `{"StringEquals":{"sts:SourceIdentity":"U0BOB"}}`), false},
		{"StringEquals, key absent", stmt(`"*"`, `"*"`, `{"StringEquals":{"sts:ExternalId":"x"}}`), false},
		{"StringEqualsIfExists, key absent", stmt(`"*"`, `"*"`, `{"StringEqualsIfExists":{"sts:ExternalId":"x"}}`), true},
		{"StringNotEquals, key absent", stmt(`"*"`, `"*"`, `{"StringNotEquals":{"sts:ExternalId":"x"}}`), true},
		{"StringNotEquals, equal", stmt(`"*"`, `"*"`, `{"StringNotEquals":{"sts:SourceIdentity":"U0ALICE"}}`), false},
		{"StringLike", stmt(`"*"`, `"*"`, `{"StringLike":{"sts:SourceIdentity":"U0*"}}`), true},
		{"StringLike, one of several", stmt(`"*"`, `"*"`, `{"StringLike":{"sts:SourceIdentity":["X*","U?ALICE"]}}`), true},
		{"StringNotLike", stmt(`"*"`, `"*"`, `{"StringNotLike":{"sts:SourceIdentity":"U*"}}`), false},
		{"Null false, present", stmt(`"*"`, `"*"`, `{"Null":{"sts:SourceIdentity":"false"}}`), true},
		{"Null false, absent", stmt(`"*"`, `"*"`, `{"Null":{"sts:ExternalId":"false"}}`), false},
		{"Null true, absent", stmt(`"*"`, `"*"`, `{"Null":{"sts:ExternalId":"true"}}`), true},
		{"ForAllValues, a subset", stmt(`"*"`, `"*"`, `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env","cost"]}}`), true},
		{"ForAllValues, one outside", stmt(`"*"`, `"*"`, `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`), false},
		{"ForAllValues, key absent", stmt(`"*"`, `"*"`, `{"ForAllValues:StringEquals":{"sts:TransitiveTagKeys":["team"]}}`), true},
		{"ForAnyValue", stmt(`"*"`, `"*"`, `{"ForAnyValue:StringLike":{"aws:TagKeys":["e*"]}}`), true},
		{"ForAnyValue, none", stmt(`"*"`, `"*"`, `{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}`), false},
		{"an operator not simulated", stmt(`"*"`, `"*"`, `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`), false},
		{"two conditions, both hold", stmt(`"*"`, `"*"`, `{"StringLike":{"sts:SourceIdentity":"U*"},"Null":{"sts:SourceIdentity":"false"}}`), true},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`, false},
		{"NotAction is refused", `{"Statement":{"Effect":"Allow","Principal":"*","NotAction":"sts:TagSession"}}`, false},
	} {
		p, err := parsePolicy(c.doc)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := p.allows(session); got != c.want {
			t.Errorf("%s: allows = %v, want %v\n%s", c.name, got, c.want, c.doc)
		}
	}
	lenient := session
	lenient.lenient = true
	p, _ := parsePolicy(stmt(`"*"`, `"*"`, `{"StringEquals":{"events:source":"myapp"}}`))
	if p.allows(session) || !p.allows(lenient) {
		t.Error("a condition on a key not known yet should pass only when lenient")
	}
}

// FuzzPolicy: any document either fails to parse or evaluates without
// panicking, for any principal.
func FuzzPolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`, "123456789012", "sts:AssumeRole")
	f.Add(`{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"*"}}}}`, "", "events:PutEvents")
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":[1,null,{}]},"Action":[],"Condition":{"Null":{"k":["true","false"]}}}]}`, "1", "x")
	f.Add(`{"Statement":[]}`, "", "")
	f.Add(`[`, "", "")
	f.Fuzz(func(t *testing.T, doc, account, action string) {
		p, err := parsePolicy(doc)
		if err != nil {
			return
		}
		r := policyRequest{account: account, arns: []string{"arn:aws:iam::" + account + ":user/x"}, action: action,
			resource: "arn:aws:events:us-east-1:" + account + ":event-bus/default",
			context:  map[string][]string{"aws:tagkeys": {"a", "b"}, "sts:externalid": {"x"}}}
		p.allows(r)
		r.lenient = true
		p.allows(r)
	})
}

// TestTrustConditionKeys: the keys AssumeRole gives a trust policy, by the
// names policies use.
func TestTrustConditionKeys(t *testing.T) {
	doc := `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:TagSession","Condition":{` +
		`"StringEquals":{"aws:RequestTag/team":"payments","sts:ExternalId":"x","sts:SourceIdentity":"U0ALICE",` +
		`"sts:RoleSessionName":"alice","aws:PrincipalType":"User","aws:PrincipalAccount":"123456789012"},` +
		`"ForAllValues:StringEquals":{"sts:TransitiveTagKeys":["team"],"aws:TagKeys":["team","env"]}}}}`
	p, err := parsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	caller := userPrincipal("123456789012", "AKIDBOT")
	for _, c := range []struct {
		name  string
		in    assumeRoleInput
		allow bool
	}{
		{"as the policy wants", assumeRoleInput{sessionName: "alice", externalID: "x", transitive: []string{"team"},
			tags: []sessionTag{{"team", "payments"}, {"env", "prod"}}}, true},
		{"another tag value", assumeRoleInput{sessionName: "alice", externalID: "x", tags: []sessionTag{{"team", "billing"}}}, false},
		{"a tag key not allowed", assumeRoleInput{sessionName: "alice", externalID: "x", tags: []sessionTag{{"team", "payments"}, {"cost", "1"}}}, false},
		{"another session name", assumeRoleInput{sessionName: "bob", externalID: "x", tags: []sessionTag{{"team", "payments"}}}, false},
		{"no external ID", assumeRoleInput{sessionName: "alice", tags: []sessionTag{{"team", "payments"}}}, false},
	} {
		r := trustRequest(caller, &c.in, "U0ALICE", c.in.tags)
		r.action = "sts:TagSession"
		if got := p.allows(r); got != c.allow {
			t.Errorf("%s: allows = %v, want %v", c.name, got, c.allow)
		}
	}
}
