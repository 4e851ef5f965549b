package awssim

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Smithy RPC v2 CBOR plumbing for CloudWatch: reading request members out
// of a decoded CBOR map and writing answers and errors.

// cborInput is a decoded request body: a CBOR map keyed by member name.
type cborInput cbor.Map

// decodeCBORInput decodes a request body; an empty body is an empty input,
// which is what the SDK sends for an operation called with no members.
func decodeCBORInput(body []byte) (cborInput, error) {
	if len(body) == 0 {
		return cborInput{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, errSerialization("cannot decode CBOR request: " + err.Error())
	}
	m, ok := v.(cbor.Map)
	if !ok {
		return nil, errSerialization(fmt.Sprintf("request body is a CBOR %T, not a map", v))
	}
	return cborInput(m), nil
}

// str returns a text member, "" when absent or null.
func (in cborInput) str(key string) (string, error) {
	switch v := in[key].(type) {
	case nil, *cbor.Nil:
		return "", nil
	case cbor.String:
		return string(v), nil
	default:
		return "", errSerialization(fmt.Sprintf("member %s: expected a text string, got %T", key, v))
	}
}

// strList returns a list-of-text member.
func (in cborInput) strList(key string) ([]string, error) {
	switch v := in[key].(type) {
	case nil, *cbor.Nil:
		return nil, nil
	case cbor.List:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(cbor.String)
			if !ok {
				return nil, errSerialization(fmt.Sprintf("member %s: expected text strings, got %T", key, item))
			}
			out = append(out, string(s))
		}
		return out, nil
	default:
		return nil, errSerialization(fmt.Sprintf("member %s: expected a list, got %T", key, v))
	}
}

// int returns an integer member, 0 when absent.
func (in cborInput) int(key string) (int, error) {
	switch v := in[key].(type) {
	case nil, *cbor.Nil:
		return 0, nil
	default:
		n, err := cbor.AsInt64(v)
		if err != nil {
			return 0, errSerialization(fmt.Sprintf("member %s: %v", key, err))
		}
		return int(n), nil
	}
}

// cborTime is a timestamp as Smithy RPC v2 CBOR sends it: tag 1 around
// epoch seconds, with milliseconds as a fraction.
func cborTime(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)}
}

func cborStrings(ss []string) cbor.List {
	out := make(cbor.List, 0, len(ss))
	for _, s := range ss {
		out = append(out, cbor.String(s))
	}
	return out
}

// writeCBOR writes a successful RPC v2 CBOR answer.
func writeCBOR(w http.ResponseWriter, v cbor.Value) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cbor.Encode(v))
}

// cloudwatchQueryCodes maps our error codes to the legacy awsQuery codes
// CloudWatch still reports (it is awsQueryCompatible): the SDK shows the
// x-amzn-query-error code to callers, so a throttled DescribeAlarms reads
// "Throttling", as it always has for CloudWatch.
var cloudwatchQueryCodes = map[string]string{
	"ThrottlingException":   "Throttling",
	"AccessDeniedException": "AccessDenied",
}

// cloudwatchQueryError is the x-amzn-query-error value for err:
// "Code;Sender" or "Code;Receiver".
func cloudwatchQueryError(err *apiError) string {
	if err.QueryCode != "" {
		return err.QueryCode
	}
	code := err.Code
	if c, ok := cloudwatchQueryCodes[code]; ok {
		code = c
	}
	if err.Status >= 500 {
		return code + ";Receiver"
	}
	return code + ";Sender"
}

// writeCBORError writes err as Smithy RPC v2 CBOR: a map with __type (the
// error's shape id) and message, plus the awsQuery compatibility header.
func writeCBORError(w http.ResponseWriter, err *apiError) {
	status := err.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", cloudwatchQueryError(err))
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String("com.amazonaws.cloudwatch#" + err.Code),
		"message": cbor.String(err.Message),
	}))
}
