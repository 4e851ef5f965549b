package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/store"
)

// BenchmarkStore measures one call of the store's busiest methods on each
// implementation, one caller at a time: what a click or a poll waits for.
// PostgreSQL runs on this machine over TCP, so the numbers are the floor
// of a real network's.
//
//	go test -run XXX -bench Store ./store/
func BenchmarkStore(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "bench.db")
			if kind == "postgres" {
				dsn = pgtest.Database(b)
			}
			ctx := context.Background()
			s, err := store.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rec := switchyard.Record{Deployment: switchyard.Deployment{ID: "d-BENCH", App: "web", Env: "production",
				Status: switchyard.StatusInProgress, Stages: make([]switchyard.Stage, 6)}}
			if _, err := s.CreateDeployment(ctx, rec); err != nil {
				b.Fatal(err)
			}
			lease, _, err := s.AcquireLease(ctx, "d-BENCH", "replica-1", time.Now(), 15*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, c := range []struct {
				name string
				op   func() error
			}{
				{"GetDeployment", func() error { _, err := s.GetDeployment(ctx, "d-BENCH"); return err }},
				{"UpdateDeploymentIf", func() error {
					_, err := s.UpdateDeploymentIf(ctx, "d-BENCH", switchyard.AnyRev, func(r *switchyard.Record) error {
						r.Traffic.Green = 100 - r.Traffic.Green
						return nil
					})
					return err
				}},
				{"MarkReply", func() error {
					n++
					_, err := s.MarkReply(ctx, "d-BENCH", fmt.Sprint("k", n), "1.1")
					return err
				}},
				{"CreateAndConfirmPending", func() error {
					p, err := s.CreatePending(ctx, switchyard.Pending{App: "web", Env: "production", Version: "v1",
						RequestedBy: "U1", Expires: time.Now().Add(time.Hour)})
					if err == nil {
						_, err = s.Transition(ctx, p.ID, []switchyard.PendingState{switchyard.StatePending}, switchyard.StateConfirmed, switchyard.Change{By: "U1"})
					}
					return err
				}},
				{"ListActive", func() error { _, err := s.ListActive(ctx); return err }},
				// What a replica does for a deployment it holds: renew its
				// lease, and merge a look under it.
				{"AcquireLease", func() error {
					_, _, err := s.AcquireLease(ctx, "d-BENCH", "replica-1", time.Now(), 15*time.Second)
					return err
				}},
				{"UpdateDeploymentUnder", func() error {
					_, err := s.UpdateDeploymentUnder(ctx, "d-BENCH", lease, func(r *switchyard.Record) error {
						r.Traffic.Green = 100 - r.Traffic.Green
						return nil
					})
					return err
				}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if err := c.op(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
