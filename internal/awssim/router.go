package awssim

import (
	"bytes"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
)

// The front door of the one endpoint: every request is authenticated (see
// identity.go), then answered by the global STS or by the partition of the
// caller's account in the request's region, the one in its SigV4
// credential scope (an unsigned request goes to the root partition). A
// management write call that reaches a partition's handler is recorded in
// that partition's CloudTrail here, around the handler, so that no service
// needs to know about CloudTrail.

// protocol is how a request is spelled, which decides how errors are.
type protocol int

const (
	protoJSON   protocol = iota // JSON 1.0/1.1 routed on X-Amz-Target
	protoCBOR                   // CloudWatch's Smithy RPC v2 CBOR, on the URL path
	protoCWJSON                 // CloudWatch as botocore calls it
	protoQuery                  // awsQuery form posts: STS
)

// dispatch is where a request goes.
type dispatch struct {
	proto   protocol
	target  string // X-Amz-Target
	service string // signing name; "" for an unknown operation
	op      string
}

func (f *front) classify(r *http.Request) dispatch {
	if op, ok := strings.CutPrefix(r.URL.Path, cborPathPrefix); ok {
		return dispatch{proto: protoCBOR, service: "monitoring", op: op}
	}
	target := r.Header.Get("X-Amz-Target")
	if op, ok := strings.CutPrefix(target, cloudwatchJSONTarget+"."); ok {
		return dispatch{proto: protoCWJSON, target: target, service: "monitoring", op: op}
	}
	if target == "" {
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
			return dispatch{proto: protoQuery}
		}
	}
	rt, _ := f.root.route(target)
	return dispatch{proto: protoJSON, target: target, service: rt.service, op: rt.op}
}

func (f *front) serve(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	if r.Method != http.MethodPost {
		writeJSONError(w, &apiError{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: "only POST is supported"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		writeJSONError(w, errSerialization("cannot read request body"))
		return
	}
	d := f.classify(r)
	cred := parseCredential(r.Header.Get("Authorization"))
	c := &call{requestID: reqID, region: cred.region, sourceIP: sourceIP(r), userAgent: r.UserAgent()}
	if c.region == "" {
		c.region = f.root.region
	}
	var p *Sim
	f.mu.Lock()
	caller, aerr := f.authenticateLocked(cred.accessKey, r.Header.Get("X-Amz-Security-Token"))
	if aerr == nil && !regionRE.MatchString(c.region) {
		aerr = errf("InvalidSignatureException", "Credential should be scoped to a valid region.")
	}
	if aerr == nil && d.proto != protoQuery {
		if p = f.partitionLocked(caller.account, c.region); p == nil {
			aerr = &apiError{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "the simulator holds too many accounts and regions"}
		}
	}
	f.mu.Unlock()
	c.caller = caller
	if d.proto == protoQuery {
		f.serveQuery(w, r, body, c, aerr)
		return
	}
	if aerr != nil {
		writeDispatchError(w, d, aerr)
		return
	}
	r = r.WithContext(withCall(r.Context(), c))
	if !recorded(d.service, d.op) {
		p.serveDispatch(w, r, d, body)
		return
	}
	rec := &recorder{ResponseWriter: w}
	p.serveDispatch(rec, r, d, body)
	p.recordCall(c, d, body, rec)
}

// serveDispatch answers a request in this partition.
func (s *Sim) serveDispatch(w http.ResponseWriter, r *http.Request, d dispatch, body []byte) {
	switch d.proto {
	case protoCBOR:
		s.serveCBOR(w, r, d.op, body)
	case protoCWJSON:
		s.serveCloudWatchJSON(w, r, d.op, body) // botocore's CloudWatch protocol
	default:
		s.serveJSON(w, r, d.target, body)
	}
}

// writeDispatchError refuses a request before any handler sees it, in its
// protocol.
func writeDispatchError(w http.ResponseWriter, d dispatch, aerr *apiError) {
	switch d.proto {
	case protoCBOR:
		writeCBORError(w, aerr)
	case protoCWJSON:
		writeCloudWatchJSONError(w, aerr)
	default:
		e := *aerr
		if d.service != "sqs" {
			e.QueryCode = "" // only SQS speaks the legacy codes over JSON
		}
		if e.QueryCode != "" {
			w.Header().Set("x-amzn-query-error", e.QueryCode)
		}
		w.Header().Set("Content-Type", contentType(d.service))
		writeJSONError(w, &e)
	}
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recorder passes a response through and keeps its status and the start
// of its body, for CloudTrail.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

// maxRecorded bounds how much of a response CloudTrail keeps; a larger
// answer is recorded without its responseElements.
const maxRecorded = 100 << 10

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len() <= maxRecorded {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}
