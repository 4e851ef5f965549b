package awssim

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// sqsState is the SQS part of the world: standard queues of this account
// and region. FIFO queues are not simulated.
//
// Timing: every message timer (DelaySeconds, the visibility timeout,
// MessageRetentionPeriod) runs on the simulated clock and is evaluated
// lazily on each call, so tests move time with the clock and never sleep.
// Only the long-poll wait of ReceiveMessage (WaitTimeSeconds) is real time:
// it is how long a client's HTTP call may hang, and it does not hold s.mu
// while it waits (see receiveMessage).
type sqsState struct {
	queues map[string]*sqsQueue // by queue name
	// deleted remembers when a name was deleted, for QueueDeletedRecently.
	deleted map[string]time.Time
}

// sqsQueue is one standard queue.
type sqsQueue struct {
	name     string
	arn      string
	created  time.Time
	modified time.Time
	attrs    map[string]string // settable attributes, defaults filled in
	tags     map[string]string
	msgs     []*sqsMessage // in send order
	// receipts maps a live receipt handle to its message; gone keeps the
	// last handles of deleted messages, so deleting twice succeeds as on AWS.
	receipts map[string]*sqsMessage
	gone     map[string]time.Time
	// notify is closed (and replaced) whenever a message may have become
	// receivable, to wake long polls.
	notify chan struct{}
}

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func (s *Sim) registerSQS() {
	s.sqs = sqsState{queues: map[string]*sqsQueue{}, deleted: map[string]time.Time{}}
	const t = "AmazonSQS"
	s.handle(t, "sqs", "CreateQueue", s.sqsCreateQueue)
	s.handle(t, "sqs", "GetQueueUrl", s.sqsGetQueueURL)
	s.handle(t, "sqs", "GetQueueAttributes", s.sqsGetQueueAttributes)
	s.handle(t, "sqs", "SetQueueAttributes", s.sqsSetQueueAttributes)
	s.handle(t, "sqs", "DeleteQueue", s.sqsDeleteQueue)
	s.handle(t, "sqs", "ListQueues", s.sqsListQueues)
	s.handle(t, "sqs", "PurgeQueue", s.sqsPurgeQueue)
	s.handle(t, "sqs", "SendMessage", s.sqsSendMessage)
	s.handle(t, "sqs", "ReceiveMessage", s.sqsReceiveMessage)
	s.handle(t, "sqs", "DeleteMessage", s.sqsDeleteMessage)
	s.handle(t, "sqs", "ChangeMessageVisibility", s.sqsChangeMessageVisibility)
	s.handle(t, "sqs", "SendMessageBatch", s.sqsSendMessageBatch)
	s.handle(t, "sqs", "DeleteMessageBatch", s.sqsDeleteMessageBatch)
	s.handle(t, "sqs", "ChangeMessageVisibilityBatch", s.sqsChangeMessageVisibilityBatch)
}

// sqsErr builds an SQS error: the JSON __type and the legacy query code the
// SDK reports as ErrorCode().
func sqsErr(typ, queryCode, format string, args ...any) *apiError {
	e := errf(typ, format, args...)
	e.QueryCode = queryCode + ";Sender"
	return e
}

func errNoQueue() *apiError {
	return sqsErr("com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"The specified queue does not exist.")
}

// errInvalidParam is SQS's InvalidParameterValue. The model has no shape for
// it, so the __type is our best reading (unconfirmed); clients see the code
// InvalidParameterValue through x-amzn-query-error either way.
func errInvalidParam(format string, args ...any) *apiError {
	return sqsErr("com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue", format, args...)
}

func errMissingParam(name string) *apiError {
	return sqsErr("com.amazonaws.sqs#MissingParameter", "MissingParameter",
		"The request must contain the parameter %s.", name)
}

// queueURL is the URL of a queue as the calling client reaches the
// simulator: http://<host>/<account>/<name>.
func (s *Sim) queueURL(ctx context.Context, req *request, name string) string {
	return "http://" + s.host(ctx, req) + "/" + s.account + "/" + name
}

// host is the address clients use. The Host header is preferred when the
// request carries it; net/http moves it out of the header map, so usually
// it is the local address the request came in on.
func (s *Sim) host(ctx context.Context, req *request) string {
	if req != nil {
		if h := req.header.Get("Host"); h != "" {
			return h
		}
	}
	if a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	if ln := s.front.root.listener; ln != nil {
		return ln.Addr().String()
	}
	return "localhost"
}

// queueByURL finds the queue a QueueUrl names; any host is accepted, the
// path must be /<account>/<name>. Call with s.mu held.
func (s *Sim) queueByURL(url string) (*sqsQueue, *apiError) {
	if url == "" {
		return nil, errMissingParam("QueueUrl")
	}
	path := url
	if i := strings.Index(path, "://"); i >= 0 {
		path = path[i+3:]
		if j := strings.Index(path, "/"); j >= 0 {
			path = path[j:]
		} else {
			path = ""
		}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 2 || parts[0] != s.account {
		return nil, errNoQueue()
	}
	q := s.sqs.queues[parts[1]]
	if q == nil {
		return nil, errNoQueue()
	}
	return q, nil
}

// queueByArn finds a queue of this account and region by ARN. Call with s.mu held.
func (s *Sim) queueByArn(arn string) *sqsQueue {
	prefix := "arn:aws:sqs:" + s.region + ":" + s.account + ":"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return nil
	}
	return s.sqs.queues[name]
}

// withQueue runs f with s.mu held on the queue that url names, or answers
// queueByURL's error: the start of every SQS call on one queue but
// ReceiveMessage, which waits with the lock released.
func (s *Sim) withQueue(url string, f func(q *sqsQueue) (any, error)) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.queueByURL(url)
	if aerr != nil {
		return nil, aerr
	}
	return f(q)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type createQueueInput struct {
	QueueName  string
	Attributes map[string]string
	Tags       map[string]string
}

func (s *Sim) sqsCreateQueue(ctx context.Context, req *request) (any, error) {
	var in createQueueInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParam("QueueName")
	}
	if strings.HasSuffix(in.QueueName, ".fifo") || in.Attributes["FifoQueue"] != "" {
		return nil, errInvalidParam("FIFO queues are not supported by this simulator.")
	}
	if !queueNameRE.MatchString(in.QueueName) {
		return nil, errInvalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if aerr := validateQueueAttrs(in.Attributes); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	url := s.queueURL(ctx, req, in.QueueName)
	if q := s.sqs.queues[in.QueueName]; q != nil {
		for _, k := range sortedKeys(in.Attributes) {
			if q.attrs[k] != in.Attributes[k] {
				return nil, sqsErr("com.amazonaws.sqs#QueueNameExists", "QueueAlreadyExists",
					"A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return map[string]string{"QueueUrl": url}, nil
	}
	if at, ok := s.sqs.deleted[in.QueueName]; ok && now.Sub(at) < 60*time.Second {
		return nil, sqsErr("com.amazonaws.sqs#QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
			"You must wait 60 seconds after deleting a queue before you can create another queue with the same name.")
	}
	q := &sqsQueue{
		name:     in.QueueName,
		arn:      "arn:aws:sqs:" + s.region + ":" + s.account + ":" + in.QueueName,
		created:  now,
		modified: now,
		attrs:    map[string]string{},
		tags:     map[string]string{},
		receipts: map[string]*sqsMessage{},
		gone:     map[string]time.Time{},
		notify:   make(chan struct{}),
	}
	for k, v := range sqsDefaults {
		q.attrs[k] = v
	}
	for k, v := range in.Attributes {
		q.attrs[k] = v
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	s.sqs.queues[q.name] = q
	return map[string]string{"QueueUrl": url}, nil
}

func (s *Sim) sqsGetQueueURL(ctx context.Context, req *request) (any, error) {
	var in struct {
		QueueName              string
		QueueOwnerAWSAccountId string
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParam("QueueName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != s.account {
		return nil, errNoQueue()
	}
	if s.sqs.queues[in.QueueName] == nil {
		return nil, errNoQueue()
	}
	return map[string]string{"QueueUrl": s.queueURL(ctx, req, in.QueueName)}, nil
}

func (s *Sim) sqsDeleteQueue(_ context.Context, req *request) (any, error) {
	var in struct{ QueueUrl string }
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		delete(s.sqs.queues, q.name)
		s.sqs.deleted[q.name] = s.clock.Now()
		q.wake()
		return nil, nil
	})
}

func (s *Sim) sqsListQueues(ctx context.Context, req *request) (any, error) {
	var in struct {
		QueueNamePrefix string
		MaxResults      *int
		NextToken       string
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, errInvalidParam("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, n := range sortedKeys(s.sqs.queues) {
		if strings.HasPrefix(n, in.QueueNamePrefix) && n > in.NextToken {
			names = append(names, n)
		}
	}
	out := map[string]any{}
	if len(names) > limit {
		names = names[:limit]
		// The token is the last name returned: simple, and stable while
		// queues come and go.
		out["NextToken"] = names[limit-1]
	}
	if len(names) == 0 {
		return nil, nil
	}
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = s.queueURL(ctx, req, n)
	}
	out["QueueUrls"] = urls
	return out, nil
}

func (s *Sim) sqsPurgeQueue(_ context.Context, req *request) (any, error) {
	var in struct{ QueueUrl string }
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		q.msgs = nil
		q.receipts = map[string]*sqsMessage{}
		return nil, nil
	})
}

// QueueMessages is the number of messages a queue holds (visible, in flight
// and delayed, not yet deleted or expired); -1 when there is no such queue.
func (s *Sim) QueueMessages(queueName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.sqs.queues[queueName]
	if q == nil {
		return -1
	}
	q.expire(s.clock.Now())
	return len(q.msgs)
}

// QueueURL is the URL of a queue for clients of the simulator's own
// listener, or "" when there is no such queue or no listener.
func (s *Sim) QueueURL(queueName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ln := s.front.root.listener
	if s.sqs.queues[queueName] == nil || ln == nil {
		return ""
	}
	return "http://" + ln.Addr().String() + "/" + s.account + "/" + queueName
}
