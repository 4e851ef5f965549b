package deployer

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Role is an IAM role the bot assumes to act in an environment's account.
type Role struct {
	ARN string
	// ExternalID is sent when set, for a trust policy that asks for one.
	ExternalID string
}

// Session says whom a role session is for. STS takes the name and the
// source identity as 2–64 characters of [\w+=,.@-]; AWS keeps the source
// identity on every call the session makes (CloudTrail's
// sessionContext.sourceIdentity) and the name shows as its Username.
type Session struct {
	Name           string
	SourceIdentity string
	// Tags are session tags (at most 50; keys up to 128 characters, values
	// up to 256).
	Tags map[string]string
}

// BotSession is the session of the bot acting for nobody: the reads and
// polling of an environment with a role. Its source identity says so in
// CloudTrail, and lets a role's policy deny it every write.
var BotSession = Session{Name: "switchyard", SourceIdentity: "switchyard"}

// SessionOptions are the optional settings of Sessions.
type SessionOptions struct {
	// STS assumes the roles; the default is an STS client of the base
	// configuration, so with the bot's own credentials, never with another
	// session's.
	STS stscreds.AssumeRoleAPIClient
	// Duration is how long each session lasts (default one hour, an IAM
	// role's default maximum session duration).
	Duration time.Duration
	// Refresh is how long before a session ends it is renewed, so that no
	// call carries credentials about to expire (default one minute).
	Refresh time.Duration
	// Limit is how many sessions are kept at most (default 1024); the one
	// unused longest goes first.
	Limit int
}

// Sessions hands out the credentials of roles, one cached session per role
// and Session: aws.NewCredentialsCache over stscreds, so that STS is asked
// once per session duration per (role, person), and again shortly before
// the session ends. It is safe for concurrent use.
type Sessions struct {
	base aws.Config
	opts SessionOptions

	mu    sync.Mutex
	cache *lru[string, *aws.CredentialsCache]
}

// NewSessions returns Sessions that assume roles with the credentials of
// base. It opens no connection. Clients built from Config share one HTTP
// client, base's or a new one.
func NewSessions(base aws.Config, opts SessionOptions) *Sessions {
	base = base.Copy()
	if base.HTTPClient == nil {
		base.HTTPClient = awshttp.NewBuildableClient()
	}
	if opts.STS == nil {
		opts.STS = sts.NewFromConfig(base)
	}
	if opts.Duration <= 0 {
		opts.Duration = time.Hour
	}
	if opts.Refresh <= 0 {
		opts.Refresh = time.Minute
	}
	if opts.Limit <= 0 {
		opts.Limit = 1024
	}
	return &Sessions{base: base, opts: opts, cache: newLRU[string, *aws.CredentialsCache](opts.Limit)}
}

// Credentials returns the cached credentials of role for who. Nothing is
// asked of STS until they are first retrieved. The error says what is
// wrong with role or who, before STS would refuse it.
func (s *Sessions) Credentials(role Role, who Session) (*aws.CredentialsCache, error) {
	if err := checkSession(role, who); err != nil {
		return nil, err
	}
	key := sessionKey(role, who)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache.get(key); ok {
		return c, nil
	}
	p := stscreds.NewAssumeRoleProvider(s.opts.STS, role.ARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = who.Name
		o.Duration = s.opts.Duration
		if who.SourceIdentity != "" {
			o.SourceIdentity = aws.String(who.SourceIdentity)
		}
		if role.ExternalID != "" {
			o.ExternalID = aws.String(role.ExternalID)
		}
		o.Tags = sessionTags(who.Tags)
	})
	c := aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = s.opts.Refresh })
	s.cache.put(key, c)
	return c, nil
}

// Config returns the base configuration in region, acting through role as
// who.
func (s *Sessions) Config(role Role, region string, who Session) (aws.Config, error) {
	creds, err := s.Credentials(role, who)
	if err != nil {
		return aws.Config{}, err
	}
	cfg := s.base.Copy()
	if region != "" {
		cfg.Region = region
	}
	cfg.Credentials = creds
	return cfg, nil
}

// stsName is what STS accepts as a role session name and a source identity.
var stsName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// checkSession refuses what STS would refuse.
func checkSession(role Role, who Session) error {
	switch {
	case role.ARN == "":
		return errors.New("no role to assume")
	case !stsName.MatchString(who.Name):
		return fmt.Errorf("session name %q is not 2–64 characters of [\\w+=,.@-]", who.Name)
	case who.SourceIdentity != "" && !stsName.MatchString(who.SourceIdentity):
		return fmt.Errorf("source identity %q is not 2–64 characters of [\\w+=,.@-]", who.SourceIdentity)
	case len(who.Tags) > 50:
		return fmt.Errorf("%d session tags, at most 50", len(who.Tags))
	}
	for k, v := range who.Tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return fmt.Errorf("session tag %q: keys of 1–128 characters, values up to 256", k)
		}
	}
	return nil
}

// sessionKey is everything that goes into one AssumeRole request: two
// requests with the same key get the same session.
func sessionKey(role Role, who Session) string {
	var b strings.Builder
	for _, f := range []string{role.ARN, role.ExternalID, who.Name, who.SourceIdentity} {
		fmt.Fprintf(&b, "%d:%s|", len(f), f)
	}
	for _, k := range slices.Sorted(maps.Keys(who.Tags)) {
		fmt.Fprintf(&b, "%d:%s=%d:%s|", len(k), k, len(who.Tags[k]), who.Tags[k])
	}
	return b.String()
}

// sessionTags lists tags in key order, so that the same tags make the same
// request.
func sessionTags(tags map[string]string) []ststypes.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]ststypes.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ststypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// lru is a map that keeps at most limit entries, dropping the one used
// longest ago. It is not safe for concurrent use.
type lru[K comparable, V any] struct {
	limit int
	tick  uint64
	m     map[K]*lruEntry[V]
}

type lruEntry[V any] struct {
	v    V
	used uint64
}

func newLRU[K comparable, V any](limit int) *lru[K, V] {
	return &lru[K, V]{limit: limit, m: map[K]*lruEntry[V]{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	e, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.tick++
	e.used = c.tick
	return e.v, true
}

func (c *lru[K, V]) put(k K, v V) {
	if _, ok := c.m[k]; !ok && len(c.m) >= c.limit {
		var oldest K
		first := true
		for key, e := range c.m {
			if first || e.used < c.m[oldest].used {
				oldest, first = key, false
			}
		}
		delete(c.m, oldest)
	}
	c.tick++
	c.m[k] = &lruEntry[V]{v: v, used: c.tick}
}
