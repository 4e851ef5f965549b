package awssim

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestAttributesMD5 checks the message-attribute digest against values
// computed by other SQS implementations that clients accept.
func TestAttributesMD5(t *testing.T) {
	tests := []struct {
		attrs map[string]messageAttr
		want  string
	}{
		{map[string]messageAttr{"timestamp": {DataType: "Number", StringValue: "1493147359900"}}, "235c5c510d26fb653d073faed50ae77c"},
		{map[string]messageAttr{
			"ordinal":  {DataType: "Number", StringValue: "1"},
			"category": {DataType: "String", StringValue: "test"},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := attributesMD5(tt.attrs); got != tt.want {
			t.Errorf("attributesMD5(%v) = %q, want %q", tt.attrs, got, tt.want)
		}
	}
}

func TestSQSBatches(t *testing.T) {
	ctx := context.Background()
	s, _, c := startQueueSim(t)
	url := createQueue(t, c, "q", nil)
	sent, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")},
		{Id: aws.String("b"), MessageBody: aws.String("two"), DelaySeconds: 901},
		{Id: aws.String("c"), MessageBody: aws.String("three")},
	}})
	if err != nil { // the SDK checks each MD5OfMessageBody
		t.Fatal(err)
	}
	if len(sent.Successful) != 2 || len(sent.Failed) != 1 || *sent.Failed[0].Id != "b" ||
		*sent.Failed[0].Code != "InvalidParameterValue" || !sent.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch = %+v", sent)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("x")}, {Id: aws.String("a"), MessageBody: aws.String("y")},
	}})
	var notDistinct *sqstypes.BatchEntryIdsNotDistinct
	if !errors.As(err, &notDistinct) {
		t.Fatalf("duplicate ids = %v", err)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.SendMessageBatchRequestEntry{}})
	wantCode(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")

	recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil || len(recv.Messages) != 2 {
		t.Fatalf("ReceiveMessage = %v, %v", recv, err)
	}
	cv, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url,
		Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("x"), ReceiptHandle: recv.Messages[0].ReceiptHandle, VisibilityTimeout: 300},
			{Id: aws.String("y"), ReceiptHandle: aws.String("AQEBbogus"), VisibilityTimeout: 300},
		}})
	if err != nil || len(cv.Successful) != 1 || len(cv.Failed) != 1 || *cv.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v", cv, err)
	}
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("m0"), ReceiptHandle: recv.Messages[0].ReceiptHandle},
		{Id: aws.String("m1"), ReceiptHandle: recv.Messages[1].ReceiptHandle},
	}})
	if err != nil || len(del.Successful) != 2 || len(del.Failed) != 0 {
		t.Fatalf("DeleteMessageBatch = %+v, %v", del, err)
	}
	if n := s.QueueMessages("q"); n != 0 {
		t.Fatalf("QueueMessages after the batch delete = %d", n)
	}
}
