package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch also speaks AWS JSON 1.0 (X-Amz-Target
// GraniteServiceVersion20100801.<Op>, PascalCase members): the Go SDK picks
// CBOR, but botocore, and so the AWS CLI, prefers JSON when a service offers
// both. The same operations serve both protocols; values are converted at
// the edge.

// cloudwatchJSONTarget is the X-Amz-Target prefix of CloudWatch's JSON 1.0
// protocol.
const cloudwatchJSONTarget = "GraniteServiceVersion20100801"

// serveCloudWatchJSON answers one AWS JSON 1.0 call to CloudWatch.
func (s *Sim) serveCloudWatchJSON(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	fn, ok := s.cloudwatch.ops[op]
	if !ok {
		writeCloudWatchJSONError(w, &apiError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: "unknown operation " + cloudwatchJSONTarget + "." + op})
		return
	}
	if scope := signingService(r.Header.Get("Authorization")); scope != "" && scope != "monitoring" {
		writeCloudWatchJSONError(w, errf("InvalidSignatureException", "Credential should be scoped to correct service: 'monitoring'."))
		return
	}
	if aerr := s.faults.check("monitoring", op, callerOf(r.Context(), s).arn); aerr != nil {
		writeCloudWatchJSONError(w, aerr)
		return
	}
	in := cborInput{}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			writeCloudWatchJSONError(w, errSerialization("cannot parse request: "+err.Error()))
			return
		}
		for k, v := range raw {
			if cv := jsonToCBOR(v); cv != nil {
				in[k] = cv
			}
		}
	}
	out, err := fn(in)
	if err != nil {
		writeCloudWatchJSONError(w, asAPIError(err))
		return
	}
	b, err := json.Marshal(cborToJSON(out))
	if err != nil {
		writeCloudWatchJSONError(w, &apiError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeCloudWatchJSONError writes err as AWS JSON 1.0 with the awsQuery
// compatibility header, which botocore uses for the error code.
func writeCloudWatchJSONError(w http.ResponseWriter, err *apiError) {
	w.Header().Set("X-Amzn-Query-Error", cloudwatchQueryError(err))
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	writeJSONError(w, err)
}

// jsonToCBOR converts a decoded JSON value into the CBOR value the
// operation handlers read; null becomes nil (absent).
func jsonToCBOR(v any) cbor.Value {
	switch x := v.(type) {
	case string:
		return cbor.String(x)
	case bool:
		return cbor.Bool(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			if n < 0 {
				return cbor.NegInt(uint64(-n - 1))
			}
			return cbor.Uint(uint64(n))
		}
		f, _ := x.Float64()
		return cbor.Float64(f)
	case []any:
		out := make(cbor.List, 0, len(x))
		for _, item := range x {
			if cv := jsonToCBOR(item); cv != nil {
				out = append(out, cv)
			}
		}
		return out
	case map[string]any:
		out := cbor.Map{}
		for k, item := range x {
			if cv := jsonToCBOR(item); cv != nil {
				out[k] = cv
			}
		}
		return out
	}
	return nil
}

// cborToJSON converts an operation's CBOR answer into JSON values; a
// timestamp (tag 1) becomes epoch seconds, as AWS JSON protocols send it.
func cborToJSON(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.String:
		return string(x)
	case cbor.Bool:
		return bool(x)
	case cbor.Uint:
		return uint64(x)
	case cbor.NegInt:
		return -int64(x) - 1
	case cbor.Float64:
		return jsonFloat(float64(x))
	case cbor.Float32:
		return jsonFloat(float64(x))
	case *cbor.Tag:
		if x.ID == 1 {
			if t, err := cbor.AsTime(x); err == nil {
				return epoch(t.UTC().Truncate(time.Millisecond))
			}
		}
		return cborToJSON(x.Value)
	case cbor.List:
		out := make([]any, 0, len(x))
		for _, item := range x {
			out = append(out, cborToJSON(item))
		}
		return out
	case cbor.Map:
		out := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[k] = cborToJSON(x[k])
		}
		return out
	}
	return nil
}

// jsonFloat keeps non-finite doubles representable: AWS JSON protocols send
// them as the strings "NaN", "Infinity" and "-Infinity".
func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return json.Number(fmt.Sprint(f))
}
