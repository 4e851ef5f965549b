package awssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/aws/smithy-go/encoding/cbor"
)

// How calls become CloudTrail events (see cloudtrail.go for what is kept).

// readPrefixes begin the names of read-only operations.
var readPrefixes = []string{"Describe", "List", "Get", "BatchGet", "Receive", "Lookup", "Test"}

// dataEvents are writes CloudTrail logs as data events, which event
// history does not show.
var dataEvents = map[string]bool{
	"sqs:SendMessage": true, "sqs:SendMessageBatch": true, "sqs:DeleteMessage": true,
	"sqs:DeleteMessageBatch": true, "sqs:ChangeMessageVisibility": true,
	"sqs:ChangeMessageVisibilityBatch": true, "events:PutEvents": true, "monitoring:PutMetricData": true,
}

// recorded reports whether a call of op goes into CloudTrail's history.
func recorded(service, op string) bool {
	if op == "" {
		return false
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return !dataEvents[service+":"+op]
}

// newTrailEvent starts the record of a call that c made in account and
// region. Call with the world lock held (it reads the clock and, for a
// session, the session).
func newTrailEvent(c *call, account, region, service, op string, at time.Time) *TrailEvent {
	return &TrailEvent{
		EventVersion:       "1.11",
		UserIdentity:       identityOf(c.caller),
		EventTime:          at.UTC().Truncate(time.Second),
		EventSource:        service + ".amazonaws.com",
		EventName:          op,
		AWSRegion:          region,
		SourceIPAddress:    c.sourceIP,
		UserAgent:          c.userAgent,
		RequestParameters:  json.RawMessage("null"),
		ResponseElements:   json.RawMessage("null"),
		RequestID:          c.requestID,
		EventID:            newUUID(),
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      "Management",
	}
}

// identityOf is the userIdentity CloudTrail writes for a principal.
func identityOf(p *principal) UserIdentity {
	if p.session == nil {
		return UserIdentity{Type: p.kind, PrincipalID: p.id, ARN: p.arn, AccountID: p.account,
			AccessKeyID: p.accessKey, UserName: p.userName}
	}
	sess, role := p.session, p.session.role
	return UserIdentity{Type: "AssumedRole", PrincipalID: p.id, ARN: p.arn, AccountID: p.account, AccessKeyID: p.accessKey,
		SessionContext: &SessionContext{
			SessionIssuer:  &SessionIssuer{Type: "Role", PrincipalID: role.id, ARN: role.arn, AccountID: role.account, UserName: role.name},
			Attributes:     SessionAttributes{CreationDate: sess.created.UTC().Truncate(time.Second), MFAAuthenticated: "false"},
			SourceIdentity: sess.sourceIdentity,
		}}
}

// recordCall records a call this partition answered through rec, unless
// it never reached an operation (unknown, or signed for another service).
func (s *Sim) recordCall(c *call, d dispatch, body []byte, rec *recorder) {
	req := decodeBody(d.proto, body)
	var resp any
	code, msg := "", ""
	if rec.status >= http.StatusMultipleChoices {
		code, msg = errorInfo(d.proto, rec)
		if code == "UnknownOperationException" || code == "InvalidSignatureException" {
			return
		}
	} else if rec.body.Len() <= maxRecorded {
		resp = decodeBody(d.proto, rec.body.Bytes())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := newTrailEvent(c, s.account, s.region, d.service, d.op, s.clock.Now())
	e.RequestParameters = camelJSON(req)
	e.ResponseElements = camelJSON(resp)
	e.ErrorCode, e.ErrorMessage = code, msg
	e.Resources = resourcesOf(d.service, s.account, req, resp)
	s.appendTrailLocked(e)
}

// decodeBody reads a request or response body of the protocol into JSON
// values; nil when it is empty or unreadable.
func decodeBody(proto protocol, body []byte) any {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if proto == protoCBOR {
		v, err := cbor.Decode(body)
		if err != nil {
			return nil
		}
		return cborToJSON(v)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

// errorInfo reads the error code and message of a failed answer.
func errorInfo(proto protocol, rec *recorder) (code, msg string) {
	h := rec.Header()
	code = h.Get("X-Amzn-ErrorType")
	if q := h.Get("x-amzn-query-error"); q != "" {
		code, _, _ = strings.Cut(q, ";")
	}
	if m, ok := decodeBody(proto, rec.body.Bytes()).(map[string]any); ok {
		if code == "" {
			code, _ = m["__type"].(string)
		}
		msg, _ = m["message"].(string)
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return code, msg
}

// camelJSON renders JSON values with every member name in camelCase, as
// CloudTrail writes requestParameters and responseElements; an empty or
// missing body is null, as is one too large to keep.
func camelJSON(v any) json.RawMessage {
	if m, ok := v.(map[string]any); v == nil || (ok && len(m) == 0) {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(camelKeys(v))
	if err != nil || len(b) > maxRecorded {
		return json.RawMessage("null")
	}
	return b
}

func camelKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[lowerFirst(k)] = camelKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = camelKeys(e)
		}
		return out
	}
	return v
}

// lowerFirst lowers a name's leading capitals: QueueUrl → queueUrl,
// ARN → arn, URLPath → urlPath.
func lowerFirst(k string) string {
	r := []rune(k)
	for i := range r {
		if !unicode.IsUpper(r[i]) {
			break
		}
		if i > 0 && i+1 < len(r) && unicode.IsLower(r[i+1]) {
			break
		}
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// resourceMembers are the request (or response) members that name a
// resource, per service, with the resource type CloudTrail gives it.
var resourceMembers = map[string][][2]string{
	"codedeploy": {{"applicationName", "AWS::CodeDeploy::Application"}, {"deploymentGroupName", "AWS::CodeDeploy::DeploymentGroup"},
		{"deploymentConfigName", "AWS::CodeDeploy::DeploymentConfig"}, {"deploymentId", "AWS::CodeDeploy::Deployment"}},
	"ecs": {{"cluster", "AWS::ECS::Cluster"}, {"service", "AWS::ECS::Service"}, {"serviceName", "AWS::ECS::Service"},
		{"taskDefinition", "AWS::ECS::TaskDefinition"}, {"family", "AWS::ECS::TaskDefinition"}, {"taskSet", "AWS::ECS::TaskSet"}},
	"ecr":        {{"repositoryName", "AWS::ECR::Repository"}},
	"events":     {{"Name", "AWS::Events::Rule"}, {"Rule", "AWS::Events::Rule"}, {"EventBusName", "AWS::Events::EventBus"}},
	"sqs":        {{"QueueUrl", "AWS::SQS::Queue"}, {"QueueName", "AWS::SQS::Queue"}},
	"monitoring": {{"AlarmName", "AWS::CloudWatch::Alarm"}, {"AlarmNames", "AWS::CloudWatch::Alarm"}},
}

// resourcesOf lists the resources a call named, from its request and then
// its response (a new deployment's ID), each once.
func resourcesOf(service, account string, req, resp any) []TrailResource {
	var out []TrailResource
	seen := map[string]bool{}
	for _, body := range []any{req, resp} {
		m, _ := body.(map[string]any)
		for _, rm := range resourceMembers[service] {
			for _, name := range listOf(m[rm[0]]) {
				if name == "" || seen[rm[1]+" "+name] {
					continue
				}
				seen[rm[1]+" "+name] = true
				out = append(out, newTrailResource(rm[1], name, account))
			}
		}
	}
	return out
}

func newTrailResource(typ, name, account string) TrailResource {
	r := TrailResource{Type: typ, Name: name}
	if strings.HasPrefix(name, "arn:") {
		r.ARN, r.AccountID = name, account
	}
	return r
}
