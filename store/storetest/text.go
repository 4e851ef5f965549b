package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// hostile is text that reaches the store from Slack and AWS: quotes and
// SQL, placeholders of every driver, LIKE wildcards, backslashes, line
// breaks, emoji, right-to-left marks and combining characters.
const hostile = "it's \"fine\"; DROP TABLE audit; -- ? $1 :name %_ \\ \\\\\n\ttab 🚀 \u202eevil\u202c e\u0301 \u00a0"

// Every text field keeps exactly what it was given, and is found by it.
func testTextRoundTrip(t *testing.T, e *env) {
	s, ctx := e.s, context.Background()
	rec := sampleRecord("d-" + hostile)
	rec.App, rec.Env, rec.Version, rec.ErrorText = "app "+hostile, "env "+hostile, hostile, hostile
	rec.Stages[0].Name = hostile
	rec.CardChannel, rec.CardTS = hostile, hostile
	created, err := s.CreateDeployment(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindByCard(ctx, hostile, hostile); err != nil || !reflect.DeepEqual(got, created) {
		t.Errorf("FindByCard = %+v, %v; want %+v", got, err, created)
	}
	if got, err := s.ListByApp(ctx, "app "+hostile, "env "+hostile, 0); err != nil || len(got) != 1 || got[0].ID != rec.ID {
		t.Errorf("ListByApp = %v, %v", got, err)
	}
	if got, _ := s.ListByApp(ctx, "app %", "", 0); len(got) != 0 {
		t.Errorf("an app name matched as a pattern: %v", got)
	}
	if ok, err := s.MarkReply(ctx, rec.ID, hostile, hostile); err != nil || !ok {
		t.Fatalf("MarkReply = %v, %v", ok, err)
	}
	if got, err := s.Replies(ctx, rec.ID); err != nil || got[hostile] != hostile {
		t.Errorf("Replies = %q, %v", got, err)
	}

	plan := &switchyard.Plan{App: hostile, Version: hostile, ImageNext: hostile + "\u2028", Hooks: map[string]string{hostile: hostile}}
	p, err := s.CreatePending(ctx, switchyard.Pending{App: hostile, Env: hostile, Version: hostile, RequestedBy: hostile,
		Reason: hostile, Plan: plan, Expires: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPendingMessage(ctx, p.ID, hostile, hostile); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindPendingByMessage(ctx, hostile, hostile)
	if err != nil || got.Reason != hostile || got.App != hostile || !reflect.DeepEqual(got.Plan, plan) {
		t.Errorf("FindPendingByMessage = %+v, %v", got, err)
	}

	if _, err := s.Lock(ctx, switchyard.Lock{App: hostile, Env: hostile, Reason: hostile, LockedBy: hostile}); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := s.GetLock(ctx, hostile, hostile); err != nil || !ok || l.Reason != hostile {
		t.Errorf("GetLock = %+v, %v, %v", l, ok, err)
	}
	if _, err := s.Audit(ctx, switchyard.AuditEntry{User: hostile, Action: hostile, App: hostile, Result: switchyard.ResultOK, Detail: hostile}); err != nil {
		t.Fatal(err)
	}
	if a, err := s.AuditByApp(ctx, hostile, 0); err != nil || len(a) != 1 || a[0].Detail != hostile || a[0].User != hostile {
		t.Errorf("AuditByApp = %+v, %v", a, err)
	}
}
