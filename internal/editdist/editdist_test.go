package editdist

import (
	"slices"
	"testing"
)

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"history", "history", 0}, {"histroy", "history", 2}, {"hisory", "history", 1},
		{"v1.4", "1.4", 1}, {"", "abc", 3}, {"café", "cafe", 1},
	} {
		if got := Levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	known := []string{"v1.5.0", "v1.4", "latest", "v1.3", "v1.4", "v2.0"}
	if got := Nearest("v1.5", known, 3, 2); !slices.Equal(got, []string{"v1.5.0", "v1.4", "v1.3"}) {
		t.Errorf("Nearest(v1.5) = %v", got)
	}
	if got := Nearest("v1.4", known, 3, 2); slices.Contains(got, "v1.4") {
		t.Errorf("the word itself is suggested: %v", got)
	}
	if got := Nearest("v2.0.1", known, 3, 2); !slices.Equal(got, []string{"v2.0"}) {
		t.Errorf("Nearest(v2.0.1) = %v", got)
	}
	if got := Nearest("zzzzzz", known, 3, 2); len(got) != 0 {
		t.Errorf("far words are suggested: %v", got)
	}
}
