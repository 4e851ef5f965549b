package awssim

import (
	"encoding/json"
	"strings"
)

// recordAssumeRoleLocked records an AssumeRole call as CloudTrail does: in
// the caller's account with the caller's identity and, when the role is in
// another account and the call succeeded, in the role's account too, with
// the caller as an AWSAccount; the two records share a sharedEventID.
// Session tokens and secret keys stay out of the record. Call with f.mu
// held.
func (f *front) recordAssumeRoleLocked(c *call, in *assumeRoleInput, sess *stsSession, aerr *apiError) {
	p := f.partitionLocked(c.caller.account, c.region)
	if p == nil {
		return
	}
	e := newTrailEvent(c, c.caller.account, c.region, "sts", "AssumeRole", f.clock.Now())
	e.ReadOnly = true
	e.RequestParameters = assumeRoleParameters(in, c.caller.session)
	var roleAccount string
	if m := roleArnRE.FindStringSubmatch(in.roleArn); m != nil {
		roleAccount = m[1]
		e.Resources = []TrailResource{newTrailResource("AWS::IAM::Role", in.roleArn, roleAccount)}
	}
	if aerr != nil {
		e.ErrorCode, e.ErrorMessage = aerr.Code, aerr.Message
		p.appendTrailLocked(e)
		return
	}
	e.ResponseElements = assumeRoleElements(sess)
	if roleAccount != c.caller.account {
		if owner := f.partitionLocked(roleAccount, c.region); owner != nil {
			e.SharedEventID = newUUID()
			o := *e
			o.EventID, o.RecipientAccountID = newUUID(), roleAccount
			o.UserIdentity = UserIdentity{Type: "AWSAccount", PrincipalID: c.caller.id, AccountID: c.caller.account}
			owner.appendTrailLocked(&o)
		}
	}
	p.appendTrailLocked(e)
}

// assumeRoleParameters is an AssumeRole call's requestParameters, with the
// transitive tags a chained call inherits as incomingTransitiveTags.
func assumeRoleParameters(in *assumeRoleInput, from *stsSession) json.RawMessage {
	m := map[string]any{"roleArn": in.roleArn, "roleSessionName": in.sessionName}
	if in.duration != 0 {
		m["durationSeconds"] = in.duration
	}
	for k, v := range map[string]string{"externalId": in.externalID, "sourceIdentity": in.sourceIdentity, "policy": in.policy} {
		if v != "" {
			m[k] = v
		}
	}
	if len(in.tags) > 0 {
		tags := make([]map[string]string, len(in.tags))
		for i, t := range in.tags {
			tags[i] = map[string]string{"key": t.Key, "value": t.Value}
		}
		m["tags"] = tags
	}
	if len(in.transitive) > 0 {
		m["transitiveTagKeys"] = in.transitive
	}
	if from != nil {
		incoming := map[string]string{}
		for _, t := range from.tags {
			if from.transitive[strings.ToLower(t.Key)] {
				incoming[t.Key] = t.Value
			}
		}
		if len(incoming) > 0 {
			m["incomingTransitiveTags"] = incoming
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// assumeRoleElements is an AssumeRole answer's responseElements, in
// CloudTrail's words; the expiration is written as CloudTrail writes it.
func assumeRoleElements(sess *stsSession) json.RawMessage {
	p := sess.principal()
	m := map[string]any{
		"credentials": map[string]string{
			"accessKeyId": sess.accessKey,
			"expiration":  sess.expires.UTC().Format("Jan 2, 2006, 3:04:05 PM"),
		},
		"assumedRoleUser": map[string]string{"assumedRoleId": p.id, "arn": p.arn},
	}
	if sess.sourceIdentity != "" {
		m["sourceIdentity"] = sess.sourceIdentity
	}
	b, _ := json.Marshal(m)
	return b
}
