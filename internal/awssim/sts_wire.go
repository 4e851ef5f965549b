package awssim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// STS speaks awsQuery: a form POST (Action=AssumeRole&Version=2011-06-15&…)
// answered in XML, with the request ID both in the X-Amzn-Requestid
// header, where the Go SDK reads it, and in the body, where botocore does.

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// serveQuery answers an awsQuery call: STS, global to every partition.
func (f *front) serveQuery(w http.ResponseWriter, r *http.Request, body []byte, c *call, authErr *apiError) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeQueryError(w, c.requestID, errf("MalformedQueryString", "The query string is malformed."))
		return
	}
	action := form.Get("Action")
	if scope := signingService(r.Header.Get("Authorization")); scope != "" && scope != "sts" {
		writeQueryError(w, c.requestID, errf("InvalidAction", "Could not find operation %s for version %s", action, form.Get("Version")))
		return
	}
	if authErr != nil {
		e := *authErr
		if code, _, ok := strings.Cut(e.QueryCode, ";"); ok { // ExpiredToken, InvalidClientTokenId
			e.Code, e.Status = code, http.StatusForbidden
		}
		writeQueryError(w, c.requestID, &e)
		return
	}
	var out any
	var aerr *apiError
	switch action {
	case "AssumeRole":
		out, aerr = f.assumeRole(c, form)
	case "GetCallerIdentity":
		out = callerIdentityResult{Arn: c.caller.arn, UserId: c.caller.id, Account: c.caller.account}
	default:
		aerr = errf("InvalidAction", "Could not find operation %s for version %s", action, form.Get("Version"))
	}
	if aerr != nil {
		writeQueryError(w, c.requestID, aerr)
		return
	}
	writeQueryResult(w, action, c.requestID, out)
}

type callerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string
	UserId  string
	Account string
}

type assumeRoleResult struct {
	XMLName     xml.Name `xml:"AssumeRoleResult"`
	Credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	AssumedRoleUser struct {
		AssumedRoleId string
		Arn           string
	}
	PackedPolicySize *int   `xml:",omitempty"`
	SourceIdentity   string `xml:",omitempty"`
}

// writeQueryResult writes <ActionResponse><ActionResult>…</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>.
func writeQueryResult(w http.ResponseWriter, action, requestID string, result any) {
	type metadata struct {
		RequestId string
	}
	env := struct {
		XMLName          xml.Name
		Xmlns            string `xml:"xmlns,attr"`
		Result           any
		ResponseMetadata metadata
	}{XMLName: xml.Name{Local: action + "Response"}, Xmlns: stsNamespace, Result: result, ResponseMetadata: metadata{requestID}}
	b, err := xml.Marshal(env)
	if err != nil {
		writeQueryError(w, requestID, &apiError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// writeQueryError writes an awsQuery ErrorResponse; Type is Sender for a
// client's mistake, Receiver for ours.
func writeQueryError(w http.ResponseWriter, requestID string, e *apiError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	type errorBody struct {
		Type    string
		Code    string
		Message string
	}
	env := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errorBody
		RequestId string
	}{Xmlns: stsNamespace, Error: errorBody{typ, e.Code, e.Message}, RequestId: requestID}
	b, _ := xml.Marshal(env)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// queryMembers reads an awsQuery list: NAME.member.1…, or with field,
// NAME.member.1.FIELD…, in index order.
func queryMembers(form url.Values, name, field string) (map[int]string, []int) {
	prefix := name + ".member."
	vals := map[int]string{}
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, sub, _ := strings.Cut(rest, ".")
		if sub != field {
			continue
		}
		if n, err := strconv.Atoi(idx); err == nil && len(v) > 0 {
			vals[n] = v[0]
		}
	}
	keys := make([]int, 0, len(vals))
	for n := range vals {
		keys = append(keys, n)
	}
	sort.Ints(keys)
	return vals, keys
}

// queryList reads a list of strings.
func queryList(form url.Values, name string) []string {
	vals, keys := queryMembers(form, name, "")
	out := make([]string, 0, len(keys))
	for _, n := range keys {
		out = append(out, vals[n])
	}
	return out
}

// queryTags reads Tags.member.N.Key / .Value.
func queryTags(form url.Values) []sessionTag {
	keys, order := queryMembers(form, "Tags", "Key")
	values, _ := queryMembers(form, "Tags", "Value")
	out := make([]sessionTag, 0, len(order))
	for _, n := range order {
		out = append(out, sessionTag{Key: keys[n], Value: values[n]})
	}
	return out
}

// validationError joins constraint failures as AWS words them:
// "2 validation errors detected: …; …".
func validationError(problems []string) *apiError {
	noun := "error"
	if len(problems) > 1 {
		noun = "errors"
	}
	return errf("ValidationError", "%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; "))
}

// constraint is one "Value 'v' at 'member' failed to satisfy constraint:
// Member must …" clause.
func constraint(value, member, must string) string {
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must %s", value, member, must)
}
