package deployer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// TestVersionsListsTheRepositoryNewestFirst: the images of the repository
// the service runs from, newest push first (one release pushed in the
// same second is ordered as versions: v1.10 before v1.9), the running one
// known, hostile tags left out, and every page read.
func TestVersionsListsTheRepositoryNewestFirst(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.sim.Advance(time.Hour)
	h.sim.PutImage("web", "v1.9")
	h.sim.PutImage("web", "v1.10")
	h.sim.PutImage("web", "<!here>")
	h.rec.take()

	vs, err := h.d.Versions(ctx, webEnv)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, v := range vs.Images {
		labels = append(labels, v.Label())
	}
	// The hostile tag's image stays, untagged, named by its digest.
	if len(labels) != 6 || !slices.Equal(labels[:2], []string{"v1.10", "v1.9"}) || !strings.HasPrefix(labels[2], "sha256:") ||
		!slices.Equal(labels[3:], []string{"v1.5", "v1.4", "v1.3"}) {
		t.Fatalf("versions = %v", labels)
	}
	if vs.Repository != "web" || vs.Running != ecrWeb+":v1.3" {
		t.Errorf("repository %q running %q", vs.Repository, vs.Running)
	}
	v13, ok := vs.Find("v1.3")
	if !ok || !vs.Runs(v13) || vs.Runs(vs.Images[0]) || v13.Pushed.IsZero() || !switchyard.ValidDigest(v13.Digest) {
		t.Errorf("v1.3 = %+v, %v; runs %v", v13, ok, vs.Runs(v13))
	}
	if byDigest, ok := vs.Find(switchyard.ShortDigest(v13.Digest)); !ok || byDigest.Digest != v13.Digest {
		t.Errorf("find by short digest = %+v, %v", byDigest, ok)
	}
	if _, ok := vs.Find("v9.9"); ok {
		t.Error("found a version that does not exist")
	}
	for _, op := range h.rec.take() {
		if !strings.HasPrefix(op, "Describe") {
			t.Errorf("Versions called %s", op)
		}
	}

	// More images than one page holds.
	for i := range 1005 {
		h.sim.PutImage("web", fmt.Sprintf("build-%d", i))
	}
	vs, err = h.d.Versions(ctx, webEnv)
	if err != nil || len(vs.Images) != 1011 {
		t.Fatalf("after 1005 more pushes: %d images, %v", len(vs.Images), err)
	}
	if n := strings.Count(strings.Join(h.rec.take(), " "), "DescribeImages"); n != 2 {
		t.Errorf("%d DescribeImages calls for two pages", n)
	}
}

func TestVersionsOfAMissingService(t *testing.T) {
	h := newHarness(t)
	env := webEnv
	env.Service = "nope"
	_, err := h.d.Versions(context.Background(), env)
	errorCode(t, err, switchyard.ENOTFOUND)
}
