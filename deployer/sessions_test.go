package deployer_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/switchyard/switchyard/deployer"
)

// fakeSTS answers AssumeRole with credentials that last lifetime, and
// remembers each request.
type fakeSTS struct {
	mu       sync.Mutex
	lifetime time.Duration
	requests []*sts.AssumeRoleInput
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, in)
	n := len(f.requests)
	return &sts.AssumeRoleOutput{
		Credentials: &ststypes.Credentials{
			AccessKeyId: aws.String(fmt.Sprintf("ASIA%012d", n)), SecretAccessKey: aws.String("secret"),
			SessionToken: aws.String("token"), Expiration: aws.Time(time.Now().Add(f.lifetime)),
		},
		AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String("arn:aws:sts::210987654321:assumed-role/r/" + aws.ToString(in.RoleSessionName))},
	}, nil
}

func (f *fakeSTS) setLifetime(d time.Duration) {
	f.mu.Lock()
	f.lifetime = d
	f.mu.Unlock()
}

func (f *fakeSTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// fakeSessions returns Sessions over a fake STS whose credentials last an
// hour.
func fakeSessions(opts deployer.SessionOptions) (*fakeSTS, *deployer.Sessions) {
	f := &fakeSTS{lifetime: time.Hour}
	opts.STS = f
	return f, deployer.NewSessions(aws.Config{Region: "us-east-1"}, opts)
}

var testRole = deployer.Role{ARN: "arn:aws:iam::210987654321:role/r"}

var alice = deployer.Session{Name: "U0ALICE", SourceIdentity: "U0ALICE",
	Tags: map[string]string{"SlackUser": "U0ALICE", "App": "shop", "Environment": "staging"}}

func retrieve(t *testing.T, s *deployer.Sessions, role deployer.Role, who deployer.Session) aws.Credentials {
	t.Helper()
	c, err := s.Credentials(role, who)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// The request carries what the session is: name, source identity, tags in
// key order, external ID and the duration; it is made once while the
// credentials last, and again before they end.
func TestSessionIsCachedAndRenewedBeforeItEnds(t *testing.T) {
	f, s := fakeSessions(deployer.SessionOptions{Duration: 2 * time.Hour, Refresh: 5 * time.Minute})
	role := deployer.Role{ARN: testRole.ARN, ExternalID: "ext-1"}

	first := retrieve(t, s, role, alice)
	again := retrieve(t, s, role, alice)
	if f.count() != 1 || first.AccessKeyID != again.AccessKeyID || first.AccountID != "210987654321" {
		t.Fatalf("%d requests for one session; keys %s, %s; account %q", f.count(), first.AccessKeyID, again.AccessKeyID, first.AccountID)
	}
	in := f.requests[0]
	if aws.ToString(in.RoleSessionName) != "U0ALICE" || aws.ToString(in.SourceIdentity) != "U0ALICE" ||
		aws.ToString(in.ExternalId) != "ext-1" || aws.ToInt32(in.DurationSeconds) != 7200 || aws.ToString(in.RoleArn) != role.ARN {
		t.Errorf("request %+v", in)
	}
	var keys []string
	for _, tag := range in.Tags {
		keys = append(keys, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	if fmt.Sprint(keys) != "[App=shop Environment=staging SlackUser=U0ALICE]" {
		t.Errorf("tags %v", keys)
	}

	// A session within Refresh of its end is renewed before use: the
	// credentials still work for four minutes, and are replaced anyway.
	bob := deployer.Session{Name: "U0BOB", SourceIdentity: "U0BOB"}
	f.setLifetime(4 * time.Minute)
	b1 := retrieve(t, s, role, bob)
	b2 := retrieve(t, s, role, bob)
	if f.count() != 3 || b1.AccessKeyID == b2.AccessKeyID {
		t.Errorf("%d requests; a session about to end was not renewed (%s, %s)", f.count(), b1.AccessKeyID, b2.AccessKeyID)
	}
	// Alice's still has an hour: untouched.
	retrieve(t, s, role, alice)
	if f.count() != 3 {
		t.Errorf("%d requests, want 3", f.count())
	}
}

// Another person, another role, another external ID or other tags make
// another session; the same ones in another order do not.
func TestSessionKey(t *testing.T) {
	f, s := fakeSessions(deployer.SessionOptions{})
	role := testRole
	retrieve(t, s, role, alice)
	same := deployer.Session{Name: "U0ALICE", SourceIdentity: "U0ALICE",
		Tags: map[string]string{"Environment": "staging", "App": "shop", "SlackUser": "U0ALICE"}}
	retrieve(t, s, role, same)
	if f.count() != 1 {
		t.Fatalf("the same session asked %d times", f.count())
	}
	other := alice
	other.Tags = map[string]string{"SlackUser": "U0ALICE", "App": "shop", "Environment": "production"}
	retrieve(t, s, role, other)
	retrieve(t, s, deployer.Role{ARN: role.ARN, ExternalID: "x1"}, alice)
	retrieve(t, s, deployer.Role{ARN: "arn:aws:iam::210987654321:role/q"}, alice)
	retrieve(t, s, role, deployer.BotSession)
	if f.count() != 5 {
		t.Errorf("%d requests, want 5 distinct sessions", f.count())
	}
}

// Sessions keeps at most Limit sessions, dropping the one unused longest.
func TestSessionsAreBounded(t *testing.T) {
	f, s := fakeSessions(deployer.SessionOptions{Limit: 2})
	role := testRole
	// b is unused longest when c comes, so c drops b and a is kept.
	for i, c := range []struct {
		user  string
		calls int
	}{{"U0A", 1}, {"U0B", 2}, {"U0A", 2}, {"U0C", 3}, {"U0A", 3}, {"U0B", 4}} {
		retrieve(t, s, role, deployer.Session{Name: c.user, SourceIdentity: c.user})
		if f.count() != c.calls {
			t.Fatalf("step %d (%s): %d requests, want %d", i, c.user, f.count(), c.calls)
		}
	}
}

// What STS would refuse is refused before it is asked.
func TestSessionChecksWhatSTSWouldRefuse(t *testing.T) {
	f, s := fakeSessions(deployer.SessionOptions{})
	role := testRole
	many := map[string]string{}
	for i := range 51 {
		many[fmt.Sprint("k", i)] = "v"
	}
	for _, who := range []deployer.Session{
		{Name: "x"},
		{Name: "U0ALICE", SourceIdentity: "aws:me"},
		{Name: "has space"},
		{Name: "U0ALICE", Tags: many},
		{Name: "U0ALICE", Tags: map[string]string{"": "v"}},
	} {
		if _, err := s.Credentials(role, who); err == nil {
			t.Errorf("%+v accepted", who)
		}
	}
	if _, err := s.Credentials(deployer.Role{}, alice); err == nil {
		t.Error("no role accepted")
	}
	if f.count() != 0 {
		t.Errorf("STS asked %d times", f.count())
	}
}
