package awssim

import (
	"context"
	"strconv"
)

// sqsDefaults are the attributes a new queue has; the keys are the
// attributes CreateQueue and SetQueueAttributes accept.
var sqsDefaults = map[string]string{
	"DelaySeconds":                  "0",
	"MaximumMessageSize":            "262144",
	"MessageRetentionPeriod":        "345600",
	"ReceiveMessageWaitTimeSeconds": "0",
	"VisibilityTimeout":             "30",
	"SqsManagedSseEnabled":          "true",
	"Policy":                        "",
	"RedrivePolicy":                 "",
	"RedriveAllowPolicy":            "",
	"KmsMasterKeyId":                "",
	"KmsDataKeyReusePeriodSeconds":  "",
}

// sqsRanges are the valid ranges of the numeric attributes.
var sqsRanges = map[string][2]int{
	"DelaySeconds":                  {0, 900},
	"MaximumMessageSize":            {1024, 1048576},
	"MessageRetentionPeriod":        {60, 1209600},
	"ReceiveMessageWaitTimeSeconds": {0, 20},
	"VisibilityTimeout":             {0, 43200},
	"KmsDataKeyReusePeriodSeconds":  {60, 86400},
}

// validateQueueAttrs checks attribute names and values as CreateQueue and
// SetQueueAttributes do.
func validateQueueAttrs(attrs map[string]string) *apiError {
	for _, k := range sortedKeys(attrs) {
		v := attrs[k]
		if _, ok := sqsDefaults[k]; !ok {
			return sqsErr("com.amazonaws.sqs#InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", k)
		}
		if r, ok := sqsRanges[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < r[0] || n > r[1] {
				return sqsErr("com.amazonaws.sqs#InvalidAttributeValue", "InvalidAttributeValue",
					"Invalid value for the parameter %s.", k)
			}
		}
		if k == "Policy" && v != "" {
			if _, err := parsePolicy(v); err != nil {
				return sqsErr("com.amazonaws.sqs#InvalidAttributeValue", "InvalidAttributeValue",
					"Invalid value for the parameter Policy.")
			}
		}
		if k == "SqsManagedSseEnabled" && v != "true" && v != "false" {
			return sqsErr("com.amazonaws.sqs#InvalidAttributeValue", "InvalidAttributeValue",
				"Invalid value for the parameter SqsManagedSseEnabled.")
		}
	}
	return nil
}

// queueAttrNames are the names GetQueueAttributes knows, in the order All lists them.
var queueAttrNames = []string{
	"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
	"VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
	"ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "Policy", "RedrivePolicy",
	"RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
}

func (s *Sim) sqsGetQueueAttributes(_ context.Context, req *request) (any, error) {
	var in struct {
		QueueUrl       string
		AttributeNames []string
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		want := map[string]bool{}
		for _, n := range in.AttributeNames {
			if n == "All" {
				for _, k := range queueAttrNames {
					want[k] = true
				}
				continue
			}
			if !knownQueueAttr(n) {
				return nil, sqsErr("com.amazonaws.sqs#InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", n)
			}
			want[n] = true
		}
		now := s.clock.Now()
		q.expire(now)
		visible, inFlight, delayed := q.counts(now)
		out := map[string]string{}
		for k := range want {
			var v string
			switch k {
			case "QueueArn":
				v = q.arn
			case "ApproximateNumberOfMessages":
				v = strconv.Itoa(visible)
			case "ApproximateNumberOfMessagesNotVisible":
				v = strconv.Itoa(inFlight)
			case "ApproximateNumberOfMessagesDelayed":
				v = strconv.Itoa(delayed)
			case "CreatedTimestamp":
				v = strconv.FormatInt(q.created.Unix(), 10)
			case "LastModifiedTimestamp":
				v = strconv.FormatInt(q.modified.Unix(), 10)
			default:
				v = q.attrs[k]
			}
			if v != "" {
				out[k] = v
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return map[string]any{"Attributes": out}, nil
	})
}

func knownQueueAttr(n string) bool {
	for _, k := range queueAttrNames {
		if k == n {
			return true
		}
	}
	return false
}

func (s *Sim) sqsSetQueueAttributes(_ context.Context, req *request) (any, error) {
	var in struct {
		QueueUrl   string
		Attributes map[string]string
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if aerr := validateQueueAttrs(in.Attributes); aerr != nil {
		return nil, aerr
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		for k, v := range in.Attributes {
			q.attrs[k] = v
		}
		q.modified = s.clock.Now()
		return nil, nil
	})
}
