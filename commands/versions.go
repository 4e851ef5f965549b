package commands

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// Versioner lists what an environment can deploy: the deployer satisfies
// it. Errors are *switchyard.Error with a message safe to show.
type Versioner interface {
	Versions(ctx context.Context, env switchyard.Environment) (*switchyard.Versions, error)
}

// versionsTTL is how long a list of versions is reused: long enough that a
// person typing in the version menu costs one ECR listing, short enough
// that an image pushed a minute ago is offered.
const versionsTTL = 30 * time.Second

// versionCache keeps each environment's versions for versionsTTL, and
// makes concurrent askers of one environment share one call.
type versionCache struct {
	api Versioner
	now func() time.Time

	mu sync.Mutex
	m  map[string]*versionEntry
}

type versionEntry struct {
	done chan struct{} // closed when vs and err are set
	vs   *switchyard.Versions
	err  error
	at   time.Time
}

func newVersionCache(api Versioner) *versionCache {
	return &versionCache{api: api, now: time.Now, m: map[string]*versionEntry{}}
}

// get returns the versions of env of app, from the cache unless fresh is
// set or they are older than versionsTTL. A failure is not kept.
func (c *versionCache) get(ctx context.Context, app string, env switchyard.Environment, fresh bool) (*switchyard.Versions, error) {
	key := app + "/" + env.Name
	c.mu.Lock()
	e := c.m[key]
	if e != nil {
		select {
		case <-e.done:
			if fresh || e.err != nil || c.now().Sub(e.at) >= versionsTTL {
				e = nil
			}
		default: // in flight: share it
		}
	}
	if e == nil {
		e = &versionEntry{done: make(chan struct{})}
		c.m[key] = e
		go func() {
			// The first asker's deadline must not cut the call short for
			// the others, nor its cancellation poison the cache.
			callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			defer cancel()
			vs, err := c.api.Versions(callCtx, env)
			c.mu.Lock()
			e.vs, e.err, e.at = vs, err, c.now()
			c.mu.Unlock()
			close(e.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return e.vs, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// versionChoices are the images of env's repository whose tag contains
// typed (ignoring case) or whose digest starts with it, newest first, each
// marked with the environments of app that run it; when none does and
// typed is a well-formed version, what was typed, to be checked on
// submit (an image pushed since the list was read, a full reference).
func versionChoices(typed string, vs *switchyard.Versions, running map[string]*switchyard.Versions, envs []string) []blocks.VersionChoice {
	q := strings.ToLower(strings.TrimSpace(typed))
	var out []blocks.VersionChoice
	if vs != nil {
		for _, img := range vs.Images {
			if !matches(img, q) {
				continue
			}
			c := blocks.VersionChoice{Value: img.Label(), Tags: img.Tags, Digest: img.Digest, Pushed: img.Pushed}
			if len(img.Tags) == 0 {
				c.Value = img.Digest
			}
			for _, name := range envs {
				// Another environment's image of the same tag in another
				// registry or repository (another account's ECR) is
				// another image.
				if r := running[name]; r != nil && switchyard.ParseImage(r.Running).Repo == switchyard.ParseImage(vs.Running).Repo && r.Runs(img) {
					c.RunsIn = append(c.RunsIn, name)
				}
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		if v, _, bad := checkVersion(strings.TrimSpace(typed)); bad == "" && len(v) <= 150 {
			out = append(out, blocks.VersionChoice{Value: v, Typed: true})
		}
	}
	return out
}

func matches(img switchyard.ImageVersion, q string) bool {
	q = strings.TrimPrefix(q, "@")
	hex := strings.TrimPrefix(img.Digest, "sha256:")
	if q == "" || strings.HasPrefix(img.Digest, q) || len(q) >= 6 && strings.HasPrefix(hex, q) {
		return true
	}
	for _, t := range img.Tags {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}

// forget drops what is cached of env of app: it just changed.
func (c *versionCache) forget(app, env string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[app+"/"+env]; e != nil {
		select {
		case <-e.done:
			delete(c.m, app+"/"+env)
		default: // in flight: it reads the new state
		}
	}
}
