package awssim

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// offsetPage returns the page of items that nextToken points at, at most limit
// long (def when limit is 0), and the token of the next page ("" at the
// end). ok is false for a token this simulator did not hand out; each
// service reports that with its own error. ECS, ECR and CloudWatch share it.
func offsetPage[T any](items []T, nextToken string, limit, def int) (page []T, next string, ok bool) {
	if limit <= 0 {
		limit = def
	}
	start := 0
	if nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil {
			return nil, "", false
		}
		n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || n < 0 || n > len(items) || !strings.HasPrefix(string(raw), "offset:") {
			return nil, "", false
		}
		start = n
	}
	end := min(start+limit, len(items))
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	return items[start:end], next, true
}
