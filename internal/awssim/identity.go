package awssim

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"net/http"
	"strings"
)

// Who is calling, and in which account it acts. AWS knows from the access
// key; the simulator follows LocalStack's convention so that a client picks
// its account with nothing but its key:
//
//   - a key of exactly 12 digits acts in that account;
//   - a key STS minted (ASIA…) acts in the account of the role assumed, and
//     must come with its session token, unexpired;
//   - any other key, or none, acts in the root partition's account
//     (123456789012 unless Options.Account says otherwise).
//
// Plain keys act as the IAM user "switchyard" of their account, never as
// the account's root user: AWS refuses AssumeRole to root ("Roles may not
// be assumed by root accounts"), and a key must be able to assume roles.
// Signatures are not checked; the secret key may be anything.

// defaultUserName is the IAM user that plain access keys act as.
const defaultUserName = "switchyard"

// credential is what a SigV4 Authorization header says of the caller.
type credential struct {
	accessKey, region, service string
}

// parseCredential reads the credential scope of a SigV4 Authorization
// header (Credential=KEY/DATE/REGION/SERVICE/aws4_request); all "" when
// the request is unsigned.
func parseCredential(auth string) credential {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return credential{}
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 5 {
		return credential{}
	}
	n := len(parts)
	return credential{accessKey: strings.Join(parts[:n-4], "/"), region: parts[n-3], service: parts[n-2]}
}

// principal is an authenticated caller.
type principal struct {
	kind      string // IAMUser or AssumedRole, as CloudTrail types them
	account   string
	arn       string
	id        string // aws:userid: AIDA… for a user, AROA…:SESSION for a session
	accessKey string
	userName  string      // the IAM user's name
	session   *stsSession // for AssumedRole
}

// userPrincipal is the IAM user a plain access key acts as.
func userPrincipal(account, accessKey string) *principal {
	arn := "arn:aws:iam::" + account + ":user/" + defaultUserName
	return &principal{kind: "IAMUser", account: account, arn: arn, id: uniqueID("AIDA", arn),
		accessKey: accessKey, userName: defaultUserName}
}

// uniqueID is an IAM unique ID (AIDA…, AROA…): the prefix and 17
// characters, stable for one name so that a world reads the same each run.
func uniqueID(prefix, name string) string {
	sum := sha256.Sum256([]byte(name))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// The errors AWS gives a request whose credentials it cannot accept; each
// protocol spells them its own way (see authError).
const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

// authError is how a JSON service refuses credentials: UnrecognizedClient
// or ExpiredToken, with SQS's legacy code beside it.
func authError(expired bool) *apiError {
	if expired {
		return &apiError{Status: http.StatusBadRequest, Code: "ExpiredTokenException", Message: msgExpiredToken,
			QueryCode: "ExpiredToken;Sender"}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "UnrecognizedClientException", Message: msgInvalidToken,
		QueryCode: "InvalidClientTokenId;Sender"}
}

// authenticateLocked finds the principal behind an access key and, for an
// STS key, its session token. It fails with authError. Call with f.mu held.
func (f *front) authenticateLocked(accessKey, token string) (*principal, *apiError) {
	switch {
	case strings.HasPrefix(accessKey, "ASIA"):
		sess := f.sts.sessions[accessKey]
		if sess == nil || sess.token != token {
			return nil, authError(false)
		}
		if !f.wallNow().Before(sess.expires) {
			return nil, authError(true)
		}
		return sess.principal(), nil
	case accountRE.MatchString(accessKey):
		return userPrincipal(accessKey, accessKey), nil
	default:
		return userPrincipal(f.root.account, accessKey), nil
	}
}

// call is what the router knows of one request, for the handlers that need
// the caller (an error message naming them, CloudTrail).
type call struct {
	caller    *principal
	requestID string
	region    string
	sourceIP  string
	userAgent string
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// callerOf is the principal of the request in ctx; outside a request (the
// Go API), the partition's IAM user.
func callerOf(ctx context.Context, s *Sim) *principal {
	if c, ok := ctx.Value(callKey{}).(*call); ok && c.caller != nil {
		return c.caller
	}
	return userPrincipal(s.account, "")
}
