package commands

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/blocks"
)

// homeLook is how often a replica with Home tabs to keep up to date reads
// what they show from the store, to catch changes other replicas made.
const homeLook = 2 * time.Second

// watchHome marks the Home tabs looked at as out of date when what they
// show changed in the store, whoever changed it. With several replicas the
// one that took a change (a deployment's lease holder, the one a command
// reached) is often not the one a person opened their tab on; their own
// changes reach it through DeploymentChanged and changed at once, the
// others within homeLook. It reads nothing while nobody looks.
func (h *Handler) watchHome(stop context.Context) {
	var last [sha256.Size]byte
	every(stop, h.lookEvery(), nil, func() {
		if !h.home.watching() {
			last = [sha256.Size]byte{}
			return
		}
		sum, err := h.homeSum(stop)
		if err != nil {
			h.log.Debug("read what the Home tab shows", zap.Error(err))
			return
		}
		if last != ([sha256.Size]byte{}) && sum != last {
			h.home.changed()
		}
		last = sum
	}, nil)
}

func (h *Handler) lookEvery() time.Duration {
	if h.opts.Home.Look > 0 {
		return h.opts.Home.Look
	}
	return homeLook
}

// homeSum is a digest of what every Home tab shows of the apps, as of no
// particular time and for nobody in particular: it changes when a
// deployment, lock, freeze or queue that a tab shows does.
func (h *Handler) homeSum(ctx context.Context) ([sha256.Size]byte, error) {
	home := blocks.Home{}
	for i := range h.cfg.Apps {
		a, err := h.homeApp(ctx, &h.cfg.Apps[i], "", time.Time{})
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		home.Apps = append(home.Apps, a)
	}
	b, err := json.Marshal(blocks.HomeView(home))
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}
