package deployer

import (
	"testing"

	"github.com/switchyard/switchyard"
)

func TestApplyNamesTheVersionOfOutsideDeployments(t *testing.T) {
	var d switchyard.Deployment
	(&Status{ID: "d-ABCDEFGHI", ImageAfter: "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.5"}).Apply(&d)
	if d.Version != "v1.5" {
		t.Fatalf("version = %q, want the new image's tag", d.Version)
	}
	kept := switchyard.Deployment{Version: "v1.4"}
	(&Status{ImageAfter: "repo/myapp:v9"}).Apply(&kept)
	if kept.Version != "v1.4" {
		t.Fatalf("a known version was overwritten: %q", kept.Version)
	}
	var digest switchyard.Deployment
	(&Status{ImageAfter: "repo/myapp@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}).Apply(&digest)
	if digest.Version != "sha256:0123456789ab" {
		t.Fatalf("digest version = %q", digest.Version)
	}
	// An image reference from AWS is anyone's text: what is not a tag or
	// a digest is no version.
	for _, image := range []string{"repo/myapp:<!here>", "repo/myapp:v1|x", "repo/myapp@sha256:<https://evil|x>"} {
		var d switchyard.Deployment
		(&Status{ImageAfter: image}).Apply(&d)
		if d.Version != "unknown" {
			t.Errorf("%s gives version %q", image, d.Version)
		}
	}
}
