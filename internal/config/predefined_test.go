package config

import (
	"slices"
	"testing"
)

// PredefinedConfigs hands out a copy: a caller that changes its list does
// not change what Load accepts.
func TestPredefinedConfigsIsACopy(t *testing.T) {
	got := PredefinedConfigs()
	if len(got) != 5 || !slices.Contains(got, "CodeDeployDefault.ECSAllAtOnce") {
		t.Fatalf("PredefinedConfigs() = %v", got)
	}
	for i := range got {
		got[i] = "Hacked"
	}
	if again := PredefinedConfigs(); slices.Contains(again, "Hacked") || again[0] != "CodeDeployDefault.ECSAllAtOnce" {
		t.Fatalf("changing one PredefinedConfigs() changed the next: %v", again)
	}
	c, err := Load("../../switchyard.example.yaml")
	if err != nil {
		t.Fatalf("the example no longer loads after a caller changed its list:\n%v", err)
	}
	if len(c.Apps) == 0 {
		t.Fatal("the example has no apps")
	}
}
