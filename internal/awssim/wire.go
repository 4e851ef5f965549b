package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// apiError is an AWS error as it travels on the wire.
type apiError struct {
	Status  int    // HTTP status, 400 unless the error is the server's
	Code    string // the __type, e.g. DeploymentLimitExceededException
	Message string
	// QueryCode is SQS's legacy code sent as x-amzn-query-error
	// ("AWS.SimpleQueueService.NonExistentQueue;Sender").
	QueryCode string
	// Fields are further members of the error body, such as ECS
	// ConflictException's resourceIds.
	Fields map[string]any
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errf builds a 400 client error with the given code.
func errf(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func errSerialization(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "SerializationException", Message: msg}
}

func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
}

// contentTypes per service, as the SDKs send and expect them.
var contentTypes = map[string]string{
	"sqs": "application/x-amz-json-1.0",
}

func contentType(service string) string {
	if ct, ok := contentTypes[service]; ok {
		return ct
	}
	return "application/x-amz-json-1.1"
}

// writeJSON writes a successful JSON answer; nil becomes {}.
func writeJSON(w http.ResponseWriter, service string, out any) {
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeJSONError(w, &apiError{Status: 500, Code: "InternalFailure", Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", contentType(service))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeError writes err in the service's protocol.
func (s *Sim) writeError(w http.ResponseWriter, service string, err *apiError) {
	if service == "monitoring" {
		writeCBORError(w, err)
		return
	}
	if err.QueryCode != "" {
		w.Header().Set("x-amzn-query-error", err.QueryCode)
	}
	w.Header().Set("Content-Type", contentType(service))
	writeJSONError(w, err)
}

func writeJSONError(w http.ResponseWriter, err *apiError) {
	w.Header().Set("X-Amzn-ErrorType", err.Code)
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	}
	status := err.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	body := map[string]any{"__type": err.Code, "message": err.Message}
	for k, v := range err.Fields {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	_, _ = w.Write(b)
}

// decode unmarshals a JSON request body into v; an empty body is {}.
func decode(req *request, v any) error {
	if len(req.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(req.body, v); err != nil {
		return errSerialization("cannot parse request: " + err.Error())
	}
	return nil
}

// withToken adds the pagination token under key when there is a next page;
// AWS leaves the member out on the last page. ECS, ECR and EventBridge
// answer their lists this way.
func withToken(m map[string]any, key, next string) map[string]any {
	if next != "" {
		m[key] = next
	}
	return m
}

// epoch renders a time as JSON epoch seconds with fractions, as AWS JSON
// protocols do; a zero time is omitted by using *epoch fields with omitempty.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	return []byte(fmt.Sprintf("%.3f", float64(tt.UnixNano())/1e9)), nil
}

// epochPtr returns nil for a zero time so that omitempty drops it.
func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}
