package awssim

import (
	"sync"
	"time"
)

// Clock is simulated time. At speed 0 it moves only through Advance and Set,
// so tests are deterministic; at speed N it also runs N simulated seconds per
// real second.
type Clock struct {
	mu      sync.Mutex
	sim     time.Time // simulated time at real instant base
	base    time.Time
	speed   float64
	realNow func() time.Time
}

// NewClock returns a clock reading start, running at speed.
func NewClock(start time.Time, speed float64) *Clock {
	return &Clock{sim: start, base: time.Now(), speed: speed, realNow: time.Now}
}

// Now is the current simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.speed == 0 {
		return c.sim
	}
	elapsed := c.realNow().Sub(c.base)
	return c.sim.Add(time.Duration(float64(elapsed) * c.speed))
}

// Speed is simulated seconds per real second.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// SetSpeed changes the speed from now on without a jump in time.
func (c *Clock) SetSpeed(speed float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sim = c.nowLocked()
	c.base = c.realNow()
	c.speed = speed
}

// set moves the clock forward to t; it never goes back.
func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.nowLocked()
	if t.Before(now) {
		return
	}
	c.sim = t
	c.base = c.realNow()
}
