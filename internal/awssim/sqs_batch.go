package awssim

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// batchError is one entry of a batch answer's Failed list.
type batchError struct {
	Id          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

// batchFailure turns an error of one entry into its Failed entry; the code
// is the one the single call would report.
func batchFailure(id string, e *apiError) batchError {
	code, _, _ := strings.Cut(e.QueryCode, ";")
	if code == "" {
		code = e.Code
	}
	return batchError{Id: id, SenderFault: true, Code: code, Message: e.Message}
}

// checkBatchIDs applies the rules every batch call shares: 1 to 10
// entries, ids well formed and distinct.
func checkBatchIDs(ids []string) *apiError {
	if len(ids) == 0 {
		return sqsErr("com.amazonaws.sqs#EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one SendMessageBatchRequestEntry in the request.")
	}
	if len(ids) > 10 {
		return sqsErr("com.amazonaws.sqs#TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
			"Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDRE.MatchString(id) {
			return sqsErr("com.amazonaws.sqs#InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return sqsErr("com.amazonaws.sqs#BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
				"Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// batchCall decodes a batch request, checks its ids and runs one function
// per entry under s.mu; each entry's decoded JSON is passed as raw.
func (s *Sim) batchCall(req *request, each func(q *sqsQueue, id string, raw json.RawMessage) (any, *apiError)) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []json.RawMessage
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, raw := range in.Entries {
		var e struct{ Id string }
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, errSerialization("cannot parse entry: " + err.Error())
		}
		ids[i] = e.Id
	}
	if aerr := checkBatchIDs(ids); aerr != nil {
		return nil, aerr
	}
	return s.withQueue(in.QueueUrl, func(q *sqsQueue) (any, error) {
		ok := []any{}
		failed := []batchError{}
		for i, raw := range in.Entries {
			res, aerr := each(q, ids[i], raw)
			if aerr != nil {
				failed = append(failed, batchFailure(ids[i], aerr))
				continue
			}
			ok = append(ok, res)
		}
		return map[string]any{"Successful": ok, "Failed": failed}, nil
	})
}

func (s *Sim) sqsSendMessageBatch(_ context.Context, req *request) (any, error) {
	return s.batchCall(req, func(q *sqsQueue, id string, raw json.RawMessage) (any, *apiError) {
		var in sendMessageInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, errSerialization("cannot parse entry: " + err.Error())
		}
		m, aerr := s.sendOne(q, &in)
		if aerr != nil {
			return nil, aerr
		}
		out := map[string]string{"Id": id, "MessageId": m.id, "MD5OfMessageBody": m.md5}
		if m.attrsMD5 != "" {
			out["MD5OfMessageAttributes"] = m.attrsMD5
		}
		return out, nil
	})
}

func (s *Sim) sqsDeleteMessageBatch(_ context.Context, req *request) (any, error) {
	return s.batchCall(req, func(q *sqsQueue, id string, raw json.RawMessage) (any, *apiError) {
		var in struct{ ReceiptHandle string }
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, errSerialization("cannot parse entry: " + err.Error())
		}
		if aerr := s.deleteOne(q, in.ReceiptHandle); aerr != nil {
			return nil, aerr
		}
		return map[string]string{"Id": id}, nil
	})
}

func (s *Sim) sqsChangeMessageVisibilityBatch(_ context.Context, req *request) (any, error) {
	return s.batchCall(req, func(q *sqsQueue, id string, raw json.RawMessage) (any, *apiError) {
		var in struct {
			ReceiptHandle     string
			VisibilityTimeout int
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, errSerialization("cannot parse entry: " + err.Error())
		}
		if aerr := s.changeVisibilityOne(q, in.ReceiptHandle, in.VisibilityTimeout); aerr != nil {
			return nil, aerr
		}
		return map[string]string{"Id": id}, nil
	})
}
