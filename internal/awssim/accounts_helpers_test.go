package awssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	prodAccount    = "123456789012"
	stagingAccount = "210987654321"
	prodDeployRole = "arn:aws:iam::123456789012:role/switchyard-deploy"
	stagingRole    = "arn:aws:iam::210987654321:role/switchyard-deploy"
	auditedRole    = "arn:aws:iam::123456789012:role/audited"
)

var acctEpoch = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// acctFixture is the world of testdata/accounts.yaml, started.
type acctFixture struct {
	t   *testing.T
	sim *Sim
	ctx context.Context
}

func newAccountsFixture(t *testing.T) *acctFixture {
	t.Helper()
	sim := startWorld(t, "testdata/accounts.yaml", Options{Start: acctEpoch})
	return &acctFixture{t: t, sim: sim, ctx: context.Background()}
}

// config is a client configuration with a static key in region, retries
// off so that errors show at once.
func (f *acctFixture) config(key, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(key, "secret", ""),
		BaseEndpoint:     aws.String(f.sim.URL()),
		RetryMaxAttempts: 1,
	}
}

// assumed is base with credentials of role, assumed through stscreds and
// cached, as the bot will do it; opt adjusts the AssumeRole call.
func (f *acctFixture) assumed(base aws.Config, region, role string, opt func(*stscreds.AssumeRoleOptions)) aws.Config {
	var opts []func(*stscreds.AssumeRoleOptions)
	if opt != nil {
		opts = append(opts, opt)
	}
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), role, opts...)
	cfg := base.Copy()
	cfg.Region = region
	cfg.Credentials = aws.NewCredentialsCache(provider)
	return cfg
}

// asUser assumes role for a Slack user: source identity, session name and
// tags as the bot sets them.
func asUser(user, name string, extra ...func(*stscreds.AssumeRoleOptions)) func(*stscreds.AssumeRoleOptions) {
	return func(o *stscreds.AssumeRoleOptions) {
		o.SourceIdentity = aws.String(user)
		o.RoleSessionName = name
		for _, e := range extra {
			e(o)
		}
	}
}

// setWallNow moves the real-time clock that session expiry follows.
func (f *acctFixture) setWallNow(now func() time.Time) {
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	f.sim.front.wallNow = now
}
