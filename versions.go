package switchyard

import (
	"slices"
	"strings"
	"time"
)

// ImageVersion is one image of an app's repository: its tags (none for an
// untagged image), its digest and when it was pushed.
type ImageVersion struct {
	Tags   []string
	Digest string
	Pushed time.Time
}

// Versions is what an environment can deploy: the images of the
// repository its service runs from, newest first, and the image it runs
// now. Tags and digests come from AWS, so they are untrusted text.
type Versions struct {
	Repository string
	// Running is the image reference the service runs now.
	Running string
	Images  []ImageVersion
}

// Runs reports whether the environment runs image v now: its digest is
// the running one's, or the running reference names one of its tags.
func (vs *Versions) Runs(v ImageVersion) bool {
	ref := ParseImage(vs.Running)
	switch {
	case ref.Digest != "":
		return ref.Digest == v.Digest
	case ref.Tag != "":
		return slices.Contains(v.Tags, ref.Tag)
	}
	return false
}

// Find returns the image a version names: a tag, or a digest
// (sha256:…, or its first twelve hex digits as ShortDigest gives them).
func (vs *Versions) Find(version string) (ImageVersion, bool) {
	version = strings.TrimPrefix(version, "@")
	for _, v := range vs.Images {
		if slices.Contains(v.Tags, version) || v.Digest != "" && (v.Digest == version || ShortDigest(v.Digest) == version) {
			return v, true
		}
	}
	return ImageVersion{}, false
}

// Label names an image for people: its first tag, else its short digest.
func (v ImageVersion) Label() string {
	if len(v.Tags) > 0 {
		return v.Tags[0]
	}
	return ShortDigest(v.Digest)
}
