package awssim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// CloudTrail, as its event history: each partition keeps the management
// events of its account and region, and LookupEvents reads them. Recorded
// are every management write call (anything but Describe*, List*, Get*,
// BatchGet*, Receive*, Lookup*, Test*), failed ones with their errorCode,
// and AssumeRole (read-only, as CloudTrail marks it) in the caller's
// account and, when it is another, the role's. Read-only calls of the
// other services are not recorded, so ReadOnly=true finds only
// AssumeRole; nor are data events (SQS messages, PutEvents). Trails,
// insights, event data stores and the 2 calls a second LookupEvents quota
// are not simulated. Event history keeps 90 days of simulated time, and
// at most maxTrail events per partition.
type trailState struct {
	events []*TrailEvent // oldest first
}

const (
	maxTrail       = 10000
	trailRetention = 90 * 24 * time.Hour
)

// TrailEvent is one CloudTrail record (eventVersion 1.11), as LookupEvents
// carries it in CloudTrailEvent and Trail returns it.
type TrailEvent struct {
	EventVersion      string          `json:"eventVersion"`
	UserIdentity      UserIdentity    `json:"userIdentity"`
	EventTime         time.Time       `json:"eventTime"`
	EventSource       string          `json:"eventSource"` // codedeploy.amazonaws.com, sts.amazonaws.com, ...
	EventName         string          `json:"eventName"`   // the operation
	AWSRegion         string          `json:"awsRegion"`
	SourceIPAddress   string          `json:"sourceIPAddress"`
	UserAgent         string          `json:"userAgent"`
	ErrorCode         string          `json:"errorCode,omitempty"`
	ErrorMessage      string          `json:"errorMessage,omitempty"`
	RequestParameters json.RawMessage `json:"requestParameters"` // member names in camelCase; null when none
	ResponseElements  json.RawMessage `json:"responseElements"`  // null on errors
	RequestID         string          `json:"requestID"`
	EventID           string          `json:"eventID"`
	ReadOnly          bool            `json:"readOnly"`
	Resources         []TrailResource `json:"resources,omitempty"`
	EventType         string          `json:"eventType"` // AwsApiCall
	ManagementEvent   bool            `json:"managementEvent"`
	// RecipientAccountID is the account whose history holds the event.
	RecipientAccountID string `json:"recipientAccountId"`
	// SharedEventID ties the two records of a cross-account AssumeRole.
	SharedEventID string `json:"sharedEventID,omitempty"`
	EventCategory string `json:"eventCategory"` // Management
}

// UserIdentity is who made a call: an IAMUser for a plain access key, an
// AssumedRole for an STS session (its sessionContext names the role and
// the source identity), or, in a role owner's record of a cross-account
// AssumeRole, the calling AWSAccount.
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes the STS session behind an AssumedRole identity.
type SessionContext struct {
	SessionIssuer  *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the role a session was made from.
type SessionIssuer struct {
	Type        string `json:"type"` // Role
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"` // the role's name
}

// SessionAttributes are when the session was made, in simulated time.
type SessionAttributes struct {
	CreationDate     time.Time `json:"creationDate"`
	MFAAuthenticated string    `json:"mfaAuthenticated"`
}

// TrailResource is a resource a call named. Name is what LookupEvents
// answers as ResourceName (a name, or an ARN); a record lists the resource
// with its ARN when the name is one.
type TrailResource struct {
	Type      string `json:"type"`
	ARN       string `json:"ARN,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Name      string `json:"-"`
}

// MarshalJSON writes the record as CloudTrail does, listing in resources
// only those named by ARN.
func (e TrailEvent) MarshalJSON() ([]byte, error) {
	type record TrailEvent // without this method
	r := record(e)
	r.Resources = nil
	for _, res := range e.Resources {
		if res.ARN != "" {
			r.Resources = append(r.Resources, res)
		}
	}
	return json.Marshal(r)
}

// Username is what LookupEvents answers as Username: the IAM user's name,
// or a session's name.
func (e *TrailEvent) Username() string {
	id := e.UserIdentity
	if id.Type == "AssumedRole" {
		return id.ARN[strings.LastIndexByte(id.ARN, '/')+1:]
	}
	return id.UserName
}

// Trail returns this partition's CloudTrail event history, oldest first.
func (s *Sim) Trail() []TrailEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TrailEvent, len(s.trail.events))
	for i, e := range s.trail.events {
		out[i] = *e
	}
	return out
}

// appendTrailLocked adds an event to the history. Call with s.mu held.
func (s *Sim) appendTrailLocked(e *TrailEvent) {
	s.trail.events = append(s.trail.events, e)
	if over := len(s.trail.events) - maxTrail; over > 0 {
		s.trail.events = append(s.trail.events[:0:0], s.trail.events[over:]...)
	}
}

func (s *Sim) registerCloudTrail() {
	s.handle("CloudTrail_20131101", "cloudtrail", "LookupEvents", s.ctLookupEvents)
}

type lookupAttribute struct {
	AttributeKey   string
	AttributeValue string
}

type lookupResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

type lookupEvent struct {
	EventId         string           `json:"EventId"`
	EventName       string           `json:"EventName"`
	ReadOnly        string           `json:"ReadOnly"`
	AccessKeyId     string           `json:"AccessKeyId,omitempty"`
	EventTime       epoch            `json:"EventTime"`
	EventSource     string           `json:"EventSource"`
	Username        string           `json:"Username,omitempty"`
	Resources       []lookupResource `json:"Resources"`
	CloudTrailEvent string           `json:"CloudTrailEvent"`
}

// ctLookupEvents answers LookupEvents: the events of this account and
// region that match the one lookup attribute, within StartTime..EndTime,
// newest first, MaxResults (1 to 50, default 50) a page.
func (s *Sim) ctLookupEvents(_ context.Context, req *request) (any, error) {
	var in struct {
		LookupAttributes []lookupAttribute
		StartTime        *float64
		EndTime          *float64
		EventCategory    string
		MaxResults       *int
		NextToken        string
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	match, aerr := lookupMatcher(in.LookupAttributes)
	if aerr != nil {
		return nil, aerr
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return nil, errf("InvalidEventCategoryException", "Event category %s is not valid.", in.EventCategory)
	}
	size := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, errf("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
		size = *in.MaxResults
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	start, end := now.Add(-trailRetention), now
	if in.StartTime != nil {
		start = epochTime(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epochTime(*in.EndTime)
	}
	if start.After(end) {
		return nil, errf("InvalidTimeRangeException", "Start time must be before end time.")
	}
	var hits []*TrailEvent
	if in.EventCategory == "" { // no insights are simulated
		for i := len(s.trail.events) - 1; i >= 0; i-- {
			e := s.trail.events[i]
			if !e.EventTime.Before(start) && !e.EventTime.After(end) && !e.EventTime.Before(now.Add(-trailRetention)) && match(e) {
				hits = append(hits, e)
			}
		}
	}
	from := 0
	if in.NextToken != "" {
		id, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		from = slices.IndexFunc(hits, func(e *TrailEvent) bool { return e.EventID == string(id) })
		if err != nil || from < 0 {
			return nil, errf("InvalidNextTokenException", "Invalid NextToken.")
		}
	}
	to := min(from+size, len(hits))
	events := make([]lookupEvent, 0, to-from)
	for _, e := range hits[from:to] {
		events = append(events, lookupOut(e))
	}
	out := map[string]any{"Events": events}
	if to < len(hits) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(hits[to].EventID))
	}
	return out, nil
}

func epochTime(secs float64) time.Time {
	return time.Unix(0, int64(secs*1e9)).UTC()
}

// lookupMatcher is the filter of LookupAttributes: at most one attribute.
func lookupMatcher(attrs []lookupAttribute) (func(*TrailEvent) bool, *apiError) {
	if len(attrs) == 0 {
		return func(*TrailEvent) bool { return true }, nil
	}
	if len(attrs) > 1 {
		return nil, errf("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
	}
	v := attrs[0].AttributeValue
	if v == "" || len(v) > 2000 {
		return nil, errf("InvalidLookupAttributesException", "The attribute value must be between 1 and 2000 characters.")
	}
	field := map[string]func(*TrailEvent) []string{
		"EventId":     func(e *TrailEvent) []string { return []string{e.EventID} },
		"EventName":   func(e *TrailEvent) []string { return []string{e.EventName} },
		"ReadOnly":    func(e *TrailEvent) []string { return []string{boolText(e.ReadOnly)} },
		"Username":    func(e *TrailEvent) []string { return []string{e.Username()} },
		"EventSource": func(e *TrailEvent) []string { return []string{e.EventSource} },
		"AccessKeyId": func(e *TrailEvent) []string { return []string{e.UserIdentity.AccessKeyID} },
		"ResourceType": func(e *TrailEvent) []string {
			return resourceField(e, func(r TrailResource) string { return r.Type })
		},
		"ResourceName": func(e *TrailEvent) []string {
			return resourceField(e, func(r TrailResource) string { return r.Name })
		},
	}[attrs[0].AttributeKey]
	if field == nil {
		return nil, errf("InvalidLookupAttributesException", "The attribute key %s is not valid.", attrs[0].AttributeKey)
	}
	return func(e *TrailEvent) bool { return slices.Contains(field(e), v) }, nil
}

func resourceField(e *TrailEvent, f func(TrailResource) string) []string {
	out := make([]string, len(e.Resources))
	for i, r := range e.Resources {
		out[i] = f(r)
	}
	return out
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func lookupOut(e *TrailEvent) lookupEvent {
	raw, _ := json.Marshal(e)
	res := make([]lookupResource, 0, len(e.Resources))
	for _, r := range e.Resources {
		res = append(res, lookupResource{ResourceType: r.Type, ResourceName: r.Name})
	}
	return lookupEvent{EventId: e.EventID, EventName: e.EventName, ReadOnly: boolText(e.ReadOnly),
		AccessKeyId: e.UserIdentity.AccessKeyID, EventTime: epoch(e.EventTime), EventSource: e.EventSource,
		Username: e.Username(), Resources: res, CloudTrailEvent: string(raw)}
}
