package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The bot's own end of the path: the queue and who may send to it.

// queueName returns the queue's name and, when the config gives an ARN or a
// URL, the region it names.
func queueName(q string) (name, region string) {
	switch {
	case strings.HasPrefix(q, "arn:"):
		parts := strings.Split(q, ":")
		if len(parts) == 6 {
			return parts[5], parts[3]
		}
	case strings.HasPrefix(q, "https://"), strings.HasPrefix(q, "http://"):
		host, path, _ := strings.Cut(strings.SplitN(q, "://", 2)[1], "/")
		// sqs.REGION.amazonaws.com/ACCOUNT/NAME
		if h := strings.Split(host, "."); len(h) >= 3 && h[0] == "sqs" {
			region = h[1]
		}
		return path[strings.LastIndex(path, "/")+1:], region
	}
	return q, ""
}

func (r *run) checkRegion() error {
	_, region := queueName(r.cfg.Events.Queue)
	if region != "" && r.cfg.Events.Region != "" && region != r.cfg.Events.Region {
		return fmt.Errorf("the queue %s is in %s but the rule would be in %s: EventBridge only delivers to a queue in its own region; "+
			"use a queue in %s or set events.region to %s", r.cfg.Events.Queue, region, r.cfg.Events.Region, r.cfg.Events.Region, region)
	}
	return nil
}

func (r *run) queue(ctx context.Context) error {
	name, _ := queueName(r.cfg.Events.Queue)
	got, err := r.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case err == nil:
		r.queueURL = aws.ToString(got.QueueUrl)
		if err := r.readQueueARN(ctx); err != nil {
			return err
		}
		r.addHome(Step{Resource: "queue", Name: name, Outcome: Found, Does: "at " + r.queueARN})
		return nil
	case !isCode(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
		return explain(err, "look up the SQS queue "+name)
	case r.dry:
		if r.account == "" {
			return errors.New("a dry run before the queue exists needs the bot's account (setup.Options.Account, from STS GetCallerIdentity)")
		}
		r.queueARN = fmt.Sprintf("arn:aws:sqs:%s:%s:%s", r.cfg.Events.Region, r.account, name)
		r.addHome(Step{Resource: "queue", Name: name, Outcome: Created, Does: queueDoes})
		return nil
	}
	out, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			"ReceiveMessageWaitTimeSeconds": "20",
			"VisibilityTimeout":             "60",
			"MessageRetentionPeriod":        "345600",
			"SqsManagedSseEnabled":          "true",
		},
	})
	if err != nil {
		return explain(err, "create the SQS queue "+name)
	}
	r.queueURL = aws.ToString(out.QueueUrl)
	if err := r.readQueueARN(ctx); err != nil {
		return err
	}
	r.addHome(Step{Resource: "queue", Name: name, Outcome: Created, Does: "at " + r.queueARN + ", " + queueDoes})
	return nil
}

// queueDoes is how setup makes the queue.
const queueDoes = "with long polling of 20 s, messages kept for 4 days and encryption by SQS"

func (r *run) readQueueARN(ctx context.Context) error {
	attrs, err := r.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(r.queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNamePolicy},
	})
	if err != nil {
		return explain(err, "read the attributes of the SQS queue "+r.queueURL)
	}
	r.queueARN = attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if parts := strings.Split(r.queueARN, ":"); len(parts) == 6 {
		if r.account != "" && parts[4] != r.account {
			return fmt.Errorf("the queue %s is in account %s, not in %s where the bot's credentials are", r.queueARN, parts[4], r.account)
		}
		r.account = parts[4]
		if region := parts[3]; r.cfg.Events.Region != "" && region != r.cfg.Events.Region {
			return fmt.Errorf("the queue %s is in %s but the rule would be in %s: EventBridge only delivers to a queue in its own region",
				r.queueARN, region, r.cfg.Events.Region)
		}
	}
	return nil
}

// wantedPolicy lets only Switchyard's rules send to the queue.
func (r *run) wantedPolicy() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Id":      "switchyard-events",
		"Statement": []any{map[string]any{
			"Sid":       "EventBridgeRulesOnly",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  r.queueARN,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": toAny(r.ruleARNs)}},
		}},
	}
}

func (r *run) policy(ctx context.Context) error {
	want := r.wantedPolicy()
	name, _ := queueName(r.cfg.Events.Queue)
	outcome := Created
	if r.queueURL != "" {
		attrs, err := r.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(r.queueURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy},
		})
		if err != nil {
			return explain(err, "read the policy of the SQS queue "+name)
		}
		if have := attrs.Attributes[string(sqstypes.QueueAttributeNamePolicy)]; have != "" {
			var got map[string]any
			_ = json.Unmarshal([]byte(have), &got)
			if reflect.DeepEqual(got, normalise(want)) {
				r.addHome(Step{Resource: "queue policy", Name: name, Outcome: Found, Does: policyDoes})
				return nil
			}
			outcome = Changed
		}
	}
	if !r.dry {
		b, _ := json.Marshal(want)
		if _, err := r.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
			QueueUrl:   aws.String(r.queueURL),
			Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): string(b)},
		}); err != nil {
			return explain(err, "set the policy of the SQS queue "+name)
		}
	}
	detail := ""
	if outcome == Changed {
		detail = "it was not the policy setup writes"
	}
	r.addHome(Step{Resource: "queue policy", Name: name, Outcome: outcome, Does: policyDoes, Detail: detail})
	return nil
}

const policyDoes = "letting only Switchyard's rules send to the queue"
