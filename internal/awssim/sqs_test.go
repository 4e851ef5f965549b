package awssim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// eventsPolicy is the queue policy `bot setup` writes: EventBridge may send
// to the queue for one rule.
func eventsPolicy(queueArn, ruleArn string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"events","Effect":"Allow",`+
		`"Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":%q,`+
		`"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, queueArn, ruleArn)
}

// startQueueSim starts a simulator on a free local port with EventBridge
// and SQS clients pointed at it. Retries are off so that errors show at once.
func startQueueSim(t *testing.T) (*Sim, *eventbridge.Client, *sqs.Client) {
	t.Helper()
	s := New(Options{Start: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cfg := aws.Config{
		Region:           s.Region(),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(s.URL()),
		RetryMaxAttempts: 1,
	}
	return s, eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
}

// advance moves the simulated clock forward.
func advance(s *Sim, d time.Duration) { s.clock.set(s.clock.Now().Add(d)) }

// wantCode fails unless err is an API error with the given code.
func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("ErrorCode() = %q (%v), want %q", ae.ErrorCode(), err, code)
	}
	return ae
}

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl
}

func TestSQSQueueLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _, c := startQueueSim(t)
	url := createQueue(t, c, "bot-events", map[string]string{"VisibilityTimeout": "45"})
	if want := s.URL() + "/123456789012/bot-events"; url != want {
		t.Fatalf("QueueUrl = %s, want %s", url, want)
	}
	if again := createQueue(t, c, "bot-events", map[string]string{"VisibilityTimeout": "45"}); again != url {
		t.Fatalf("idempotent CreateQueue = %s", again)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bot-events"), Attributes: map[string]string{"VisibilityTimeout": "60"}})
	var exists *sqstypes.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("different attributes: %v, want QueueNameExists", err)
	}
	wantCode(t, err, "QueueAlreadyExists")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name!")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"VisibilityTimeout": "99999"}})
	wantCode(t, err, "InvalidAttributeValue")

	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("bot-events")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("GetQueueUrl(nope) = %v, want QueueDoesNotExist", err)
	}
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"QueueArn":                              "arn:aws:sqs:us-east-1:123456789012:bot-events",
		"ApproximateNumberOfMessages":           "0",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
		"VisibilityTimeout":                     "45",
		"MessageRetentionPeriod":                "345600",
		"ReceiveMessageWaitTimeSeconds":         "0",
		"DelaySeconds":                          "0",
		"MaximumMessageSize":                    "262144",
		"CreatedTimestamp":                      strconv.FormatInt(s.clock.Now().Unix(), 10),
	}
	for k, v := range want {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	if _, ok := attrs.Attributes["Policy"]; ok {
		t.Error("a queue without a policy reports Policy")
	}
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{"Colour"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.URL() + "/123456789012/nope")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Policy": "{not json"}})
	wantCode(t, err, "InvalidAttributeValue")
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Colour": "red"}})
	wantCode(t, err, "InvalidAttributeName")
	policy := eventsPolicy("arn:aws:sqs:us-east-1:123456789012:bot-events", "arn:aws:events:us-east-1:123456789012:rule/r")
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"Policy": policy, "ReceiveMessageWaitTimeSeconds": "20"}}); err != nil {
		t.Fatal(err)
	}
	attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{"Policy", "ReceiveMessageWaitTimeSeconds"}})
	if err != nil || attrs.Attributes["Policy"] != policy || attrs.Attributes["ReceiveMessageWaitTimeSeconds"] != "20" || len(attrs.Attributes) != 2 {
		t.Fatalf("after SetQueueAttributes: %v, %v", attrs.Attributes, err)
	}

	createQueue(t, c, "other", nil)
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("bot-")})
	if err != nil || len(list.QueueUrls) != 1 || list.QueueUrls[0] != url {
		t.Fatalf("ListQueues(bot-) = %v, %v", list, err)
	}
	list, err = c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)})
	if err != nil || len(list.QueueUrls) != 1 || list.NextToken == nil {
		t.Fatalf("ListQueues page 1 = %v, %v", list, err)
	}
	list, err = c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1), NextToken: list.NextToken})
	if err != nil || len(list.QueueUrls) != 1 || !strings.HasSuffix(list.QueueUrls[0], "/other") || list.NextToken != nil {
		t.Fatalf("ListQueues page 2 = %v, %v", list, err)
	}

	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("bot-events")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bot-events")})
	var recently *sqstypes.QueueDeletedRecently
	if !errors.As(err, &recently) {
		t.Fatalf("re-create at once: %v, want QueueDeletedRecently", err)
	}
	wantCode(t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
	advance(s, 61*time.Second)
	createQueue(t, c, "bot-events", nil)
}

func TestSQSSendReceiveDelete(t *testing.T) {
	ctx := context.Background()
	s, _, c := startQueueSim(t)
	url := createQueue(t, c, "q", nil)
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(`{"hello":"world"}`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("test")}}})
	if err != nil { // the SDK itself checks MD5OfMessageBody
		t.Fatal(err)
	}
	if *sent.MD5OfMessageBody != "fbc24bcc7a1794758fc1327fcfebdaf6" || !uuidRE.MatchString(*sent.MessageId) {
		t.Fatalf("SendMessage = md5 %s id %s", *sent.MD5OfMessageBody, *sent.MessageId)
	}
	if sent.MD5OfMessageAttributes == nil || len(*sent.MD5OfMessageAttributes) != 32 {
		t.Fatalf("MD5OfMessageAttributes = %v", sent.MD5OfMessageAttributes)
	}
	if s.QueueMessages("q") != 1 || s.QueueMessages("nope") != -1 {
		t.Fatalf("QueueMessages = %d, %d", s.QueueMessages("q"), s.QueueMessages("nope"))
	}
	sentAt := s.clock.Now()
	advance(s, 5*time.Second)
	recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil { // and MD5OfBody here
		t.Fatal(err)
	}
	if len(recv.Messages) != 1 {
		t.Fatalf("received %d messages", len(recv.Messages))
	}
	m := recv.Messages[0]
	if *m.MessageId != *sent.MessageId || *m.Body != `{"hello":"world"}` || *m.MD5OfBody != *sent.MD5OfMessageBody {
		t.Fatalf("message = %+v", m)
	}
	wantAttrs := map[string]string{
		"ApproximateReceiveCount":          "1",
		"SentTimestamp":                    strconv.FormatInt(sentAt.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sentAt.Add(5*time.Second).UnixMilli(), 10),
		"SenderId":                         "123456789012",
	}
	for k, v := range wantAttrs {
		if m.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, m.Attributes[k], v)
		}
	}
	if a := m.MessageAttributes["kind"]; a.StringValue == nil || *a.StringValue != "test" || *m.MD5OfMessageAttributes != *sent.MD5OfMessageAttributes {
		t.Errorf("message attributes = %+v, md5 %v", m.MessageAttributes, m.MD5OfMessageAttributes)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("counts = %v, %v", attrs.Attributes, err)
	}
	empty, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	if err != nil || len(empty.Messages) != 0 {
		t.Fatalf("in-flight message received again: %v, %v", empty, err)
	}

	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("AQEBbogus")})
	var bad *sqstypes.ReceiptHandleIsInvalid
	if !errors.As(err, &bad) {
		t.Fatalf("bogus handle: %v, want ReceiptHandleIsInvalid", err)
	}
	wantCode(t, err, "ReceiptHandleIsInvalid")
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("second delete with the same handle: %v", err)
	}
	if n := s.QueueMessages("q"); n != 0 {
		t.Fatalf("QueueMessages after delete = %d", n)
	}
	advance(s, time.Minute)
	if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url}); err != nil || len(out.Messages) != 0 {
		t.Fatalf("deleted message came back: %v, %v", out, err)
	}

	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.URL() + "/123456789012/nope"), MessageBody: aws.String("x")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 901})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
}

func TestSQSVisibilityTimeoutRedelivery(t *testing.T) {
	ctx := context.Background()
	s, _, c := startQueueSim(t)
	url := createQueue(t, c, "q", nil)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("once")}); err != nil {
		t.Fatal(err)
	}
	receive := func() []sqstypes.Message {
		t.Helper()
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	first := receive()
	if len(first) != 1 || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive = %+v", first)
	}
	firstAt := first[0].Attributes["ApproximateFirstReceiveTimestamp"]
	advance(s, 29*time.Second)
	if got := receive(); len(got) != 0 {
		t.Fatalf("message visible before its 30 s timeout: %+v", got)
	}
	advance(s, 2*time.Second)
	second := receive()
	if len(second) != 1 || *second[0].MessageId != *first[0].MessageId {
		t.Fatalf("redelivery = %+v", second)
	}
	if second[0].Attributes["ApproximateReceiveCount"] != "2" || second[0].Attributes["ApproximateFirstReceiveTimestamp"] != firstAt {
		t.Fatalf("redelivered attributes = %v (first at %s)", second[0].Attributes, firstAt)
	}
	if *second[0].ReceiptHandle == *first[0].ReceiptHandle {
		t.Fatal("redelivery reused the receipt handle")
	}
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
	wantCode(t, err, "ReceiptHandleIsInvalid")

	// ChangeMessageVisibility to 0 makes it receivable at once; then it is
	// no longer in flight.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url,
		ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url,
		ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 10})
	var notInflight *sqstypes.MessageNotInflight
	if !errors.As(err, &notInflight) {
		t.Fatalf("ChangeMessageVisibility on a visible message: %v", err)
	}
	wantCode(t, err, "AWS.SimpleQueueService.MessageNotInflight")
	third := receive()
	if len(third) != 1 || third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("after visibility 0 = %+v", third)
	}
	// Extending the timeout keeps it hidden past the queue's 30 s.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url,
		ReceiptHandle: third[0].ReceiptHandle, VisibilityTimeout: 120}); err != nil {
		t.Fatal(err)
	}
	advance(s, 60*time.Second)
	if got := receive(); len(got) != 0 {
		t.Fatalf("visible despite a 120 s visibility timeout: %+v", got)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url,
		ReceiptHandle: aws.String("AQEBbogus"), VisibilityTimeout: 10})
	wantCode(t, err, "ReceiptHandleIsInvalid")
}

func TestSQSDelayAndRetention(t *testing.T) {
	ctx := context.Background()
	s, _, c := startQueueSim(t)
	url := createQueue(t, c, "q", map[string]string{"MessageRetentionPeriod": "60"})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 10}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessagesDelayed"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("delayed count = %v, %v", attrs, err)
	}
	if out, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url}); len(out.Messages) != 0 {
		t.Fatal("delayed message received early")
	}
	advance(s, 10*time.Second)
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 5})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("after the delay: %v, %v", out, err)
	}
	advance(s, 51*time.Second)
	if n := s.QueueMessages("q"); n != 0 {
		t.Fatalf("message kept past the retention period: %d", n)
	}
}

func TestSQSLongPoll(t *testing.T) {
	ctx := context.Background()
	_, _, c := startQueueSim(t)
	url := createQueue(t, c, "q", nil)

	type result struct {
		out     *sqs.ReceiveMessageOutput
		err     error
		elapsed time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		done <- result{out, err, time.Since(start)}
	}()
	time.Sleep(300 * time.Millisecond) // let the poll start waiting: real time is what is under test
	select {
	case r := <-done:
		t.Fatalf("long poll returned before any message: %+v", r)
	default:
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("wake up")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.out.Messages) != 1 || *r.out.Messages[0].Body != "wake up" {
			t.Fatalf("long poll = %+v", r)
		}
		if r.elapsed > 5*time.Second {
			t.Fatalf("long poll took %v", r.elapsed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return when a message arrived")
	}

	// With nothing to receive it waits the whole WaitTimeSeconds, then answers {}.
	start = time.Now()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("empty long poll = %v, %v", out, err)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("empty long poll returned after %v", el)
	}
}

// TestSQSRawWire checks what the SDK hides: an empty ReceiveMessage answer
// is {}, and errors carry __type, X-Amzn-ErrorType and x-amzn-query-error.
func TestSQSRawWire(t *testing.T) {
	s, _, c := startQueueSim(t)
	url := createQueue(t, c, "q", nil)
	call := func(op, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amzn-Query-Mode", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := call("ReceiveMessage", `{"QueueUrl":"`+url+`"}`)
	if resp.StatusCode != 200 || body != "{}" || resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("empty receive = %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = call("GetQueueUrl", `{"QueueName":"nope"}`)
	if resp.StatusCode != 400 ||
		resp.Header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		!strings.Contains(body, `"__type":"com.amazonaws.sqs#QueueDoesNotExist"`) ||
		!strings.Contains(body, `"message":"The specified queue does not exist."`) {
		t.Fatalf("error = %d %v %s", resp.StatusCode, resp.Header, body)
	}
}
