package switchyard

import (
	"slices"
	"testing"
)

// The stage lists are handed out as copies: a caller that changes its list
// changes nobody else's.
func TestStageListsAreCopies(t *testing.T) {
	order := LifecycleOrder()
	want := []string{BeforeInstall, Install, AfterInstall, AllowTestTraffic, AfterAllowTestTraffic,
		BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic}
	if !slices.Equal(order, want) {
		t.Fatalf("LifecycleOrder() = %v", order)
	}
	order[0] = "Hacked"
	if LifecycleOrder()[0] != BeforeInstall {
		t.Error("changing one LifecycleOrder() changed the next")
	}

	hooks := HookStages()
	if !slices.Equal(hooks, []string{BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic}) {
		t.Fatalf("HookStages() = %v", hooks)
	}
	hooks[0] = Install
	if HookStages()[0] != BeforeInstall || IsHookStage(Install) || !IsHookStage(BeforeInstall) {
		t.Error("changing one HookStages() changed the next")
	}
	for _, s := range LifecycleOrder() {
		if IsHookStage(s) != slices.Contains(HookStages(), s) {
			t.Errorf("IsHookStage(%s) = %v", s, IsHookStage(s))
		}
	}
}
