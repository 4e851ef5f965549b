package awssim

import (
	"slices"
	"testing"
)

// The AppSpec accepts a hook (hookStages) exactly for the stages the
// engine plays as hook stages, in lifecycle order.
func TestAppSpecHooksAreTheEnginesHookStages(t *testing.T) {
	var engine []string
	for _, row := range lifecycle {
		if _, ok := row.stage.(hookStage); ok {
			engine = append(engine, row.name)
		}
	}
	if !slices.Equal(engine, hookStages) {
		t.Fatalf("engine hook stages %v, AppSpec hook stages %v", engine, hookStages)
	}
}
