package awssim

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// STS: AssumeRole and GetCallerIdentity, global to the simulator. A
// session's keys act in the role's account (see identity.go) until the
// session expires. Expiry follows real time, not the simulated clock: the
// SDKs refresh credentials by their own clock, and a session that the
// simulated clock (running fast in the sandbox, or moved by Advance) made
// expire early would fail calls the client thinks are covered. MFA
// (SerialNumber, TokenCode) and session policies are accepted and not
// enforced; role tags are not simulated.
type stsState struct {
	sessions map[string]*stsSession // by access key ID
}

// stsSession is one set of temporary credentials.
type stsSession struct {
	accessKey, token string
	role             *iamRole
	name             string
	sourceIdentity   string
	tags             []sessionTag    // every session tag, inherited ones included
	transitive       map[string]bool // lower-cased keys of tags passed on to chained sessions
	created          time.Time       // simulated, for CloudTrail
	expires          time.Time       // real time
}

type sessionTag struct{ Key, Value string }

func (s *stsSession) principal() *principal {
	arn := "arn:aws:sts::" + s.role.account + ":assumed-role/" + s.role.name + "/" + s.name
	return &principal{kind: "AssumedRole", account: s.role.account, arn: arn, id: s.role.id + ":" + s.name,
		accessKey: s.accessKey, session: s}
}

var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	tagKeyRE      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// assumeRoleInput is an AssumeRole request.
type assumeRoleInput struct {
	roleArn, sessionName, externalID, sourceIdentity, policy string
	duration                                                 int // 0 when not given
	tags                                                     []sessionTag
	transitive, policyArns                                   []string
}

// parseAssumeRole reads and validates the members as STS does before
// anything else.
func parseAssumeRole(form url.Values) (*assumeRoleInput, *apiError) {
	in := &assumeRoleInput{roleArn: form.Get("RoleArn"), sessionName: form.Get("RoleSessionName"),
		externalID: form.Get("ExternalId"), sourceIdentity: form.Get("SourceIdentity"), policy: form.Get("Policy"),
		tags: queryTags(form), transitive: queryList(form, "TransitiveTagKeys")}
	arns, arnOrder := queryMembers(form, "PolicyArns", "arn")
	for _, n := range arnOrder {
		in.policyArns = append(in.policyArns, arns[n])
	}
	var problems []string
	check := func(set bool, value, member string, minLen, maxLen int, re *regexp.Regexp) {
		n := utf8.RuneCountInString(value)
		shown := value
		if member == "externalId" || member == "policy" {
			shown = "***" // a shared secret, and a document: not echoed
		}
		switch {
		case !set:
		case n < minLen:
			problems = append(problems, constraint(shown, member, "have length greater than or equal to "+strconv.Itoa(minLen)))
		case n > maxLen:
			problems = append(problems, constraint(shown, member, "have length less than or equal to "+strconv.Itoa(maxLen)))
		case re != nil && !re.MatchString(value):
			problems = append(problems, constraint(shown, member, "satisfy regular expression pattern: "+strings.Trim(re.String(), "^$")))
		}
	}
	for _, m := range []struct{ name, member string }{{"RoleArn", "roleArn"}, {"RoleSessionName", "roleSessionName"}} {
		if !form.Has(m.name) {
			problems = append(problems, "Value null at '"+m.member+"' failed to satisfy constraint: Member must not be null")
		}
	}
	check(form.Has("RoleArn"), in.roleArn, "roleArn", 20, 2048, nil)
	check(form.Has("RoleSessionName"), in.sessionName, "roleSessionName", 2, 64, sessionNameRE)
	check(form.Has("ExternalId"), in.externalID, "externalId", 2, 1224, externalIDRE)
	check(form.Has("SourceIdentity"), in.sourceIdentity, "sourceIdentity", 2, 64, sessionNameRE)
	check(form.Has("Policy"), in.policy, "policy", 1, 2048, nil)
	if v := form.Get("DurationSeconds"); form.Has("DurationSeconds") {
		d, err := strconv.Atoi(v)
		switch {
		case err != nil:
			problems = append(problems, constraint(v, "durationSeconds", "be an integer"))
		case d < 900:
			problems = append(problems, constraint(v, "durationSeconds", "have value greater than or equal to 900"))
		case d > 43200:
			problems = append(problems, constraint(v, "durationSeconds", "have value less than or equal to 43200"))
		}
		in.duration = d
	}
	if len(in.tags) > 50 {
		problems = append(problems, constraint("[…]", "tags", "have length less than or equal to 50"))
	}
	if len(in.transitive) > 50 {
		problems = append(problems, constraint("[…]", "transitiveTagKeys", "have length less than or equal to 50"))
	}
	if len(in.policyArns) > 10 {
		problems = append(problems, constraint("[…]", "policyArns", "have length less than or equal to 10"))
	}
	for i, t := range in.tags {
		check(true, t.Key, "tags."+strconv.Itoa(i+1)+".member.key", 1, 128, tagKeyRE)
		check(true, t.Value, "tags."+strconv.Itoa(i+1)+".member.value", 0, 256, tagValueRE)
	}
	for i, k := range in.transitive {
		check(true, k, "transitiveTagKeys."+strconv.Itoa(i+1)+".member", 1, 128, tagKeyRE)
	}
	if len(problems) > 0 {
		return in, validationError(problems)
	}
	seen := map[string]bool{}
	for _, t := range in.tags {
		if seen[strings.ToLower(t.Key)] {
			return in, errf("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
	}
	if in.policy != "" {
		if !sessionPolicyValid(in.policy) {
			return in, errf("MalformedPolicyDocument", "Syntax errors in policy.")
		}
	}
	return in, nil
}

// assumeRole answers AssumeRole and records it in CloudTrail.
func (f *front) assumeRole(c *call, form url.Values) (any, *apiError) {
	in, aerr := parseAssumeRole(form)
	f.mu.Lock()
	defer f.mu.Unlock()
	var sess *stsSession
	if aerr == nil {
		sess, aerr = f.assumeRoleLocked(c.caller, in)
	}
	f.recordAssumeRoleLocked(c, in, sess, aerr)
	if aerr != nil {
		return nil, aerr
	}
	out := assumeRoleResult{SourceIdentity: sess.sourceIdentity}
	out.Credentials.AccessKeyId, out.Credentials.SessionToken = sess.accessKey, sess.token
	out.Credentials.SecretAccessKey = randomText(30)
	out.Credentials.Expiration = sess.expires.UTC().Format(time.RFC3339)
	p := sess.principal()
	out.AssumedRoleUser.AssumedRoleId, out.AssumedRoleUser.Arn = p.id, p.arn
	if size, ok := packedSize(in); ok {
		out.PackedPolicySize = &size
	}
	return out, nil
}

// assumeRoleLocked checks the request against the role and mints the
// session. Call with f.mu held.
func (f *front) assumeRoleLocked(caller *principal, in *assumeRoleInput) (*stsSession, *apiError) {
	role := f.roleLocked(in.roleArn)
	denied := func(action string) *apiError {
		return &apiError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "User: " + caller.arn + " is not authorized to perform: " + action + " on resource: " + in.roleArn}
	}
	if role == nil { // AWS does not tell a missing role from a refused one
		return nil, denied("sts:AssumeRole")
	}
	from := caller.session // role chaining
	sourceIdentity := in.sourceIdentity
	tags := append([]sessionTag(nil), in.tags...)
	transitive := map[string]bool{}
	for _, k := range in.transitive {
		transitive[strings.ToLower(k)] = true
	}
	if from != nil {
		if from.sourceIdentity != "" && sourceIdentity != "" && sourceIdentity != from.sourceIdentity {
			return nil, denied("sts:SetSourceIdentity")
		}
		if sourceIdentity == "" {
			sourceIdentity = from.sourceIdentity
		}
		for _, t := range from.tags {
			if !from.transitive[strings.ToLower(t.Key)] {
				continue
			}
			for _, mine := range in.tags {
				if strings.EqualFold(mine.Key, t.Key) {
					return nil, errf("InvalidParameterValue", "The session tag %s conflicts with a transitive tag that the calling session passes on.", mine.Key)
				}
			}
			tags = append(tags, t)
			transitive[strings.ToLower(t.Key)] = true
		}
	}
	actions := []string{"sts:AssumeRole"}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	req := trustRequest(caller, in, sourceIdentity, tags)
	for _, a := range actions {
		req.action = a
		if !role.trust.allows(req) {
			return nil, denied(a)
		}
	}
	duration := time.Hour
	if in.duration != 0 {
		duration = time.Duration(in.duration) * time.Second
	}
	if from != nil && duration > time.Hour {
		return nil, errf("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.maxSession {
		return nil, errf("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if size, _ := packedSize(in); size > 100 {
		return nil, errf("PackedPolicyTooLarge", "Packed policy consumes %d%% of allotted space, please use smaller policy.", size)
	}
	now := f.wallNow()
	for key, s := range f.sts.sessions { // forget sessions long expired
		if now.After(s.expires.Add(time.Hour)) {
			delete(f.sts.sessions, key)
		}
	}
	sess := &stsSession{accessKey: "ASIA" + randomKey(16), token: randomText(300), role: role, name: in.sessionName,
		sourceIdentity: sourceIdentity, tags: tags, transitive: transitive, created: f.clock.Now(), expires: now.Add(duration)}
	f.sts.sessions[sess.accessKey] = sess
	return sess, nil
}

// trustRequest is the request a role's trust policy judges, with the
// condition keys of AssumeRole.
func trustRequest(caller *principal, in *assumeRoleInput, sourceIdentity string, tags []sessionTag) policyRequest {
	ctx := map[string][]string{
		"sts:rolesessionname":  {in.sessionName},
		"aws:principalaccount": {caller.account},
		"aws:userid":           {caller.id},
	}
	arns := []string{caller.arn}
	ctx["aws:principaltype"] = []string{"User"}
	ctx["aws:principalarn"] = []string{caller.arn}
	if s := caller.session; s != nil {
		arns = append(arns, s.role.arn)
		ctx["aws:principaltype"] = []string{"AssumedRole"}
		ctx["aws:principalarn"] = []string{s.role.arn}
		if s.sourceIdentity != "" {
			ctx["aws:sourceidentity"] = []string{s.sourceIdentity}
		}
		for _, t := range s.tags {
			ctx["aws:principaltag/"+strings.ToLower(t.Key)] = []string{t.Value}
		}
	}
	if in.externalID != "" {
		ctx["sts:externalid"] = []string{in.externalID}
	}
	if sourceIdentity != "" {
		ctx["sts:sourceidentity"] = []string{sourceIdentity}
	}
	for _, t := range tags {
		ctx["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
		ctx["aws:tagkeys"] = append(ctx["aws:tagkeys"], t.Key)
	}
	if len(in.transitive) > 0 {
		ctx["sts:transitivetagkeys"] = in.transitive
	}
	return policyRequest{account: caller.account, arns: arns, context: ctx}
}

// packedSize is PackedPolicySize, the percentage of the packed limit that
// the session policy and tags use (the simulator's own measure: AWS does
// not say how it packs); ok is false when there is neither.
func packedSize(in *assumeRoleInput) (int, bool) {
	if in == nil || (in.policy == "" && len(in.tags) == 0 && len(in.policyArns) == 0) {
		return 0, false
	}
	n := len(in.policy) + 64*len(in.policyArns)
	for _, t := range in.tags {
		n += len(t.Key) + len(t.Value)
	}
	return (n*100 + 4095) / 4096, true
}

// sessionPolicyValid checks that a session policy is a JSON object with a
// Statement; what it allows is not enforced.
func sessionPolicyValid(doc string) bool {
	var p struct{ Statement json.RawMessage }
	return json.Unmarshal([]byte(doc), &p) == nil && len(p.Statement) > 0
}

func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base32.StdEncoding.EncodeToString(b)[:n]
}

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
