package notify

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// alarmTTL is how long an environment's alarm states are reused.
const alarmTTL = 15 * time.Second

// alarmCache keeps each environment's alarms for alarmTTL so that polling
// many deployments does not multiply CloudWatch calls.
type alarmCache struct {
	r    AlarmReader
	mu   sync.Mutex
	byID map[string]alarmEntry
}

type alarmEntry struct {
	at     time.Time
	alarms []switchyard.Alarm
}

func newAlarmCache(r AlarmReader) *alarmCache {
	return &alarmCache{r: r, byID: map[string]alarmEntry{}}
}

// get returns env's alarms, nil when there is no reader or it failed (the
// card then says none are known, which is better than a stale state).
func (c *alarmCache) get(ctx context.Context, env switchyard.Environment, fresh bool, log *zap.Logger) []switchyard.Alarm {
	if c.r == nil {
		return nil
	}
	// A service ECS deploys itself has no group: the service names it.
	key := env.RoleARN + "|" + env.Region + "/" + env.Application + "/" + env.DeploymentGroup + "/" + env.Cluster + "/" + env.Service
	c.mu.Lock()
	e, ok := c.byID[key]
	c.mu.Unlock()
	if ok && !fresh && time.Since(e.at) < alarmTTL {
		return e.alarms
	}
	alarms, err := c.r.Alarms(ctx, env)
	if err != nil {
		log.Debug("read alarms", zap.String("group", env.DeploymentGroup), zap.Error(err))
		return e.alarms
	}
	c.mu.Lock()
	c.byID[key] = alarmEntry{at: time.Now(), alarms: alarms}
	c.mu.Unlock()
	return alarms
}
