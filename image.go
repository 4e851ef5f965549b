package switchyard

import (
	"regexp"
	"strings"
)

// ImageRef is a container image reference: repository[:tag][@digest].
type ImageRef struct {
	Repo   string // host[:port]/path, or a Docker Hub short name
	Tag    string
	Digest string // sha256:<64 hex>
}

var (
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// ValidTag reports whether s is a well-formed image tag.
func ValidTag(s string) bool { return tagPattern.MatchString(s) }

// ValidDigest reports whether s is a well-formed image digest.
func ValidDigest(s string) bool { return digestPattern.MatchString(s) }

// ParseImage splits an image reference. The tag is what follows the last
// ":" after the last "/", so a registry port is not mistaken for a tag.
func ParseImage(s string) ImageRef {
	var r ImageRef
	if i := strings.IndexByte(s, '@'); i >= 0 {
		r.Digest, s = s[i+1:], s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		r.Tag, s = s[i+1:], s[:i]
	}
	r.Repo = s
	return r
}

// String is the reference as ECS takes it.
func (r ImageRef) String() string {
	s := r.Repo
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Label names the version for people: the tag, else a short digest.
func (r ImageRef) Label() string {
	switch {
	case r.Tag != "":
		return r.Tag
	case r.Digest != "":
		return ShortDigest(r.Digest)
	default:
		return "latest"
	}
}

// ShortDigest is the first twelve hex digits of a digest, with its
// algorithm: enough for people to tell images apart.
func ShortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// VersionOf names the version an image reference carries: its tag, else a
// short digest, or "unknown" when neither is well formed. The reference may
// come from AWS (a task definition anyone may register), so nothing but a
// valid tag or digest passes for a version.
func VersionOf(image string) string {
	r := ParseImage(image)
	switch {
	case r.Tag != "" && ValidTag(r.Tag):
		return r.Tag
	case r.Digest != "" && ValidDigest(r.Digest):
		return ShortDigest(r.Digest)
	case r.Tag == "" && r.Digest == "":
		return "latest"
	default:
		return "unknown"
	}
}
