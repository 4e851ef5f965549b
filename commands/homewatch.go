package commands

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"go.uber.org/zap"
)

// homeLook is how often a replica with Home tabs to keep up to date reads
// what they show from the store, to catch changes other replicas made.
const homeLook = 2 * time.Second

// watchHome marks the Home tabs looked at as out of date when what they
// show changed in the store, whoever changed it. With several replicas the
// one that took a change (a deployment's lease holder, the one a command
// reached) is often not the one a person opened their tab on; its own
// changes reach it through DeploymentChanged and changed at once, the
// others within homeLook. It reads nothing while nobody looks, and keeps
// the last digest meanwhile: a change made while nobody looked, or
// between a tab's first publish and the next look, still differs from it.
func (h *Handler) watchHome(stop context.Context) {
	var last [sha256.Size]byte
	every(stop, h.lookEvery(), nil, func() {
		if !h.home.watching() {
			return
		}
		sum, err := h.homeSum(stop)
		if err != nil {
			h.log.Debug("read what the Home tab shows", zap.Error(err))
			return
		}
		if sum != last {
			h.home.changed()
			last = sum
		}
	}, nil)
}

func (h *Handler) lookEvery() time.Duration {
	if h.opts.Home.Look > 0 {
		return h.opts.Home.Look
	}
	return homeLook
}

// homeSum is a digest of what the store says that Home tabs show of every
// app, for nobody in particular: the deployments, locks, freezes in force
// now and queues. It leaves out what ECS says runs (a deployment's end,
// which the store has, changes that) and the time the tab is drawn at.
func (h *Handler) homeSum(ctx context.Context) ([sha256.Size]byte, error) {
	home, err := h.homeOf(ctx, "", false)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	b, err := json.Marshal(home.Apps)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}
