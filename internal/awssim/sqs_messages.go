package awssim

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// sqsMessage is one message in a queue.
type sqsMessage struct {
	id        string
	body      string
	md5       string
	attrs     map[string]messageAttr
	attrsMD5  string
	senderID  string
	sent      time.Time
	visibleAt time.Time // delay, then the visibility timeout after each receive
	// firstReceive is zero until the message is first received.
	firstReceive time.Time
	receiveCount int
	receipt      string // the latest receipt handle, "" before the first receive
}

// messageAttr is a message attribute as the JSON protocol carries it.
type messageAttr struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// longPollRecheck bounds how long a waiting ReceiveMessage goes without
// looking again: messages also become visible when simulated time moves
// (a delay or a visibility timeout ends), which sends no notification.
const longPollRecheck = 100 * time.Millisecond

// expire drops messages older than the retention period.
func (q *sqsQueue) expire(now time.Time) {
	retention := time.Duration(atoiOr(q.attrs["MessageRetentionPeriod"], 345600)) * time.Second
	kept := q.msgs[:0]
	for _, m := range q.msgs {
		if now.Sub(m.sent) >= retention {
			if m.receipt != "" {
				delete(q.receipts, m.receipt)
			}
			continue
		}
		kept = append(kept, m)
	}
	clear(q.msgs[len(kept):])
	q.msgs = kept
}

// counts returns the numbers of visible, in-flight and delayed messages.
func (q *sqsQueue) counts(now time.Time) (visible, inFlight, delayed int) {
	for _, m := range q.msgs {
		switch {
		case !m.visibleAt.After(now):
			visible++
		case m.receiveCount > 0:
			inFlight++
		default:
			delayed++
		}
	}
	return visible, inFlight, delayed
}

// wake wakes every long poll waiting on the queue.
func (q *sqsQueue) wake() {
	close(q.notify)
	q.notify = make(chan struct{})
}

// enqueue adds a message and wakes the waiting receivers. Call with s.mu held.
func (s *Sim) enqueue(q *sqsQueue, body string, delay time.Duration, attrs map[string]messageAttr, senderID string) *sqsMessage {
	now := s.clock.Now()
	sum := md5.Sum([]byte(body))
	m := &sqsMessage{
		id:        newUUID(),
		body:      body,
		md5:       hex.EncodeToString(sum[:]),
		attrs:     attrs,
		attrsMD5:  attributesMD5(attrs),
		senderID:  senderID,
		sent:      now,
		visibleAt: now.Add(delay),
	}
	q.msgs = append(q.msgs, m)
	q.wake()
	return m
}

type sendMessageInput struct {
	QueueUrl          string
	MessageBody       *string
	DelaySeconds      *int
	MessageAttributes map[string]messageAttr
}

func (s *Sim) sqsSendMessage(_ context.Context, req *request) (any, error) {
	var in sendMessageInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		m, aerr := s.sendOne(q, &in)
		if aerr != nil {
			return nil, aerr
		}
		out := map[string]string{"MessageId": m.id, "MD5OfMessageBody": m.md5}
		if m.attrsMD5 != "" {
			out["MD5OfMessageAttributes"] = m.attrsMD5
		}
		return out, nil
	})
}

// sendOne validates and enqueues one message. Call with s.mu held.
func (s *Sim) sendOne(q *sqsQueue, in *sendMessageInput) (*sqsMessage, *apiError) {
	if in.MessageBody == nil {
		return nil, errMissingParam("MessageBody")
	}
	if *in.MessageBody == "" {
		return nil, errInvalidParam("The request must contain a non-empty message body.")
	}
	for name, a := range in.MessageAttributes {
		if a.DataType == "" {
			return nil, errInvalidParam("The message attribute '%s' must contain a non-empty attribute type.", name)
		}
	}
	if size := atoiOr(q.attrs["MaximumMessageSize"], 262144); len(*in.MessageBody) > size {
		return nil, errInvalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", size)
	}
	delay := atoiOr(q.attrs["DelaySeconds"], 0)
	if in.DelaySeconds != nil {
		delay = *in.DelaySeconds
		if delay < 0 || delay > 900 {
			return nil, errInvalidParam("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", delay)
		}
	}
	return s.enqueue(q, *in.MessageBody, time.Duration(delay)*time.Second, in.MessageAttributes, s.account), nil
}

type receiveMessageInput struct {
	QueueUrl                    string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
}

// receivedMessage is a message as ReceiveMessage answers it.
type receivedMessage struct {
	MessageId              string                 `json:"MessageId"`
	ReceiptHandle          string                 `json:"ReceiptHandle"`
	MD5OfBody              string                 `json:"MD5OfBody"`
	Body                   string                 `json:"Body"`
	Attributes             map[string]string      `json:"Attributes,omitempty"`
	MessageAttributes      map[string]messageAttr `json:"MessageAttributes,omitempty"`
	MD5OfMessageAttributes string                 `json:"MD5OfMessageAttributes,omitempty"`
}

// sqsReceiveMessage answers at once when messages are visible; otherwise it
// long-polls for up to WaitTimeSeconds of real time without holding s.mu,
// waking when a message is sent to the queue (and re-checking every
// longPollRecheck for timers that ended on the simulated clock).
func (s *Sim) sqsReceiveMessage(ctx context.Context, req *request) (any, error) {
	var in receiveMessageInput
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	limit := 1
	if in.MaxNumberOfMessages != nil {
		limit = *in.MaxNumberOfMessages
		if limit < 1 || limit > 10 {
			return nil, errInvalidParam("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", limit)
		}
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, errInvalidParam("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, errInvalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	var deadline time.Time
	for {
		s.mu.Lock()
		q, aerr := s.queueByURL(in.QueueUrl)
		if aerr != nil {
			s.mu.Unlock()
			return nil, aerr
		}
		if deadline.IsZero() {
			wait := atoiOr(q.attrs["ReceiveMessageWaitTimeSeconds"], 0)
			if in.WaitTimeSeconds != nil {
				wait = *in.WaitTimeSeconds
			}
			deadline = time.Now().Add(time.Duration(wait) * time.Second)
		}
		msgs := s.takeMessages(q, &in, limit)
		notify := q.notify
		s.mu.Unlock()
		if len(msgs) > 0 {
			return map[string]any{"Messages": msgs}, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil // an empty answer is {}
		}
		t := time.NewTimer(min(left, longPollRecheck))
		select {
		case <-notify:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-s.stop:
			t.Stop()
			return nil, nil
		}
		t.Stop()
	}
}

// takeMessages receives up to max visible messages. Call with s.mu held.
func (s *Sim) takeMessages(q *sqsQueue, in *receiveMessageInput, limit int) []receivedMessage {
	now := s.clock.Now()
	q.expire(now)
	vt := atoiOr(q.attrs["VisibilityTimeout"], 30)
	if in.VisibilityTimeout != nil {
		vt = *in.VisibilityTimeout
	}
	sysNames := append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...)
	var out []receivedMessage
	for _, m := range q.msgs {
		if len(out) == limit {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		m.receiveCount++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		if m.receipt != "" {
			delete(q.receipts, m.receipt)
		}
		m.receipt = newReceiptHandle()
		q.receipts[m.receipt] = m
		m.visibleAt = now.Add(time.Duration(vt) * time.Second)
		rm := receivedMessage{MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: m.md5, Body: m.body}
		rm.Attributes = m.systemAttributes(sysNames)
		if attrs := selectAttributes(m.attrs, in.MessageAttributeNames); len(attrs) > 0 {
			rm.MessageAttributes = attrs
			rm.MD5OfMessageAttributes = attributesMD5(attrs)
		}
		out = append(out, rm)
	}
	return out
}

// systemAttributes answers the requested system attributes; times are epoch
// milliseconds as strings.
func (m *sqsMessage) systemAttributes(names []string) map[string]string {
	all := map[string]string{
		"SenderId":                         m.senderID,
		"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// selectAttributes picks the message attributes asked for: All, .*, a name,
// or a prefix ending in .*.
func selectAttributes(attrs map[string]messageAttr, names []string) map[string]messageAttr {
	out := map[string]messageAttr{}
	for _, n := range names {
		for k, v := range attrs {
			prefix, isPrefix := strings.CutSuffix(n, ".*")
			if n == "All" || n == ".*" || n == k || (isPrefix && strings.HasPrefix(k, prefix+".")) {
				out[k] = v
			}
		}
	}
	return out
}

// attributesMD5 is SQS's digest of message attributes: for each attribute in
// name order, the length-prefixed name, data type, a transport byte (1
// string, 2 binary) and the length-prefixed value.
func attributesMD5(attrs map[string]messageAttr) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	put := func(b []byte) {
		n := len(b)
		_, _ = h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		_, _ = h.Write(b)
	}
	for _, k := range sortedKeys(attrs) {
		a := attrs[k]
		put([]byte(k))
		put([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			_, _ = h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			_, _ = h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func errBadReceipt(handle string) *apiError {
	return sqsErr("com.amazonaws.sqs#ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
		"The input receipt handle \"%s\" is not a valid receipt handle.", handle)
}

// sqsDeleteMessage deletes by the latest receipt handle. A handle that a
// later receive replaced is refused with ReceiptHandleIsInvalid (AWS may
// accept it without deleting; refusing makes that bug visible), while
// deleting an already deleted message with its last handle succeeds.
func (s *Sim) sqsDeleteMessage(_ context.Context, req *request) (any, error) {
	var in struct{ QueueUrl, ReceiptHandle string }
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		return nil, noErr(s.deleteOne(q, in.ReceiptHandle))
	})
}

// deleteOne deletes the message a receipt handle names. Call with s.mu held.
func (s *Sim) deleteOne(q *sqsQueue, handle string) *apiError {
	if handle == "" {
		return errMissingParam("ReceiptHandle")
	}
	now := s.clock.Now()
	if _, ok := q.gone[handle]; ok {
		return nil
	}
	m := q.receipts[handle]
	if m == nil {
		return errBadReceipt(handle)
	}
	delete(q.receipts, handle)
	for i, x := range q.msgs {
		if x == m {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			break
		}
	}
	if len(q.gone) >= 1024 {
		for h, at := range q.gone {
			if now.Sub(at) > time.Hour {
				delete(q.gone, h)
			}
		}
	}
	q.gone[handle] = now
	return nil
}

func (s *Sim) sqsChangeMessageVisibility(_ context.Context, req *request) (any, error) {
	var in struct {
		QueueUrl          string
		ReceiptHandle     string
		VisibilityTimeout *int
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	vt := 0
	if in.VisibilityTimeout != nil {
		vt = *in.VisibilityTimeout
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		return nil, noErr(s.changeVisibilityOne(q, in.ReceiptHandle, vt))
	})
}

// changeVisibilityOne sets an in-flight message's visibility timeout.
// Call with s.mu held.
func (s *Sim) changeVisibilityOne(q *sqsQueue, handle string, vt int) *apiError {
	if handle == "" {
		return errMissingParam("ReceiptHandle")
	}
	if vt < 0 || vt > 43200 {
		return errInvalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", vt)
	}
	m := q.receipts[handle]
	if m == nil {
		return errBadReceipt(handle)
	}
	now := s.clock.Now()
	if !m.visibleAt.After(now) {
		return sqsErr("com.amazonaws.sqs#MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
			"Message does not exist or is not available for visibility timeout change.")
	}
	m.visibleAt = now.Add(time.Duration(vt) * time.Second)
	if vt == 0 {
		q.wake()
	}
	return nil
}

func newReceiptHandle() string {
	var b [64]byte
	_, _ = rand.Read(b[:])
	return "AQEB" + base64.StdEncoding.EncodeToString(b[:])
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// noErr turns a nil *apiError into a nil error (a typed nil in an error
// interface is not nil).
func noErr(e *apiError) error {
	if e == nil {
		return nil
	}
	return e
}
