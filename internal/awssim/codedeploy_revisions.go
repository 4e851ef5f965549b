package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// CodeDeploy application revisions: AppSpec content given inline or put
// in the simulator's stand-in for S3, registered with the application by
// the deployments that use them.

// cdRevision is an application revision as registered by a deployment.
type cdRevision struct {
	location   revisionLocation // content included
	content    string
	spec       *appSpec
	registered time.Time
	firstUsed  time.Time
	lastUsed   time.Time
	groups     []string
}

type appSpecContent struct {
	Content *string `json:"content,omitempty"`
	Sha256  string  `json:"sha256,omitempty"`
}

type s3Location struct {
	Bucket     string `json:"bucket,omitempty"`
	Key        string `json:"key,omitempty"`
	BundleType string `json:"bundleType,omitempty"`
	Version    string `json:"version,omitempty"`
	ETag       string `json:"eTag,omitempty"`
}

type revisionLocation struct {
	RevisionType   string          `json:"revisionType,omitempty"`
	AppSpecContent *appSpecContent `json:"appSpecContent,omitempty"`
	S3Location     *s3Location     `json:"s3Location,omitempty"`
}

// PutS3Object registers the content of s3://bucket/key. The simulator has no
// S3: CreateDeployment accepts an S3 revision (bundleType YAML or JSON) only
// when its object was registered here, and refuses it with
// InvalidRevisionException otherwise.
func (s *Sim) PutS3Object(bucket, key, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codedeploy.s3[bucket+"/"+key] = content
}

// resolveRevision parses the revision and registers it with the application.
func (s *Sim) resolveRevision(app *cdApp, loc *revisionLocation) (*cdRevision, error) {
	var content string
	var out revisionLocation
	switch loc.RevisionType {
	case "AppSpecContent":
		if loc.AppSpecContent == nil || loc.AppSpecContent.Content == nil || *loc.AppSpecContent.Content == "" {
			return nil, invalidRevision("The AppSpecContent revision has no content.")
		}
		content = *loc.AppSpecContent.Content
		sum := sha256Hex(content)
		if loc.AppSpecContent.Sha256 != "" && loc.AppSpecContent.Sha256 != sum {
			return nil, invalidRevision("The sha256 of the AppSpec content does not match the content.")
		}
		out = revisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &appSpecContent{Content: &content, Sha256: sum}}
	case "S3":
		l := loc.S3Location
		if l == nil || l.Bucket == "" || l.Key == "" {
			return nil, invalidRevision("The S3 revision needs a bucket and a key.")
		}
		if l.BundleType != "YAML" && l.BundleType != "JSON" {
			return nil, invalidRevision("The bundle type of an ECS AppSpec in S3 must be YAML or JSON, not %q.", l.BundleType)
		}
		c, ok := s.codedeploy.s3[l.Bucket+"/"+l.Key]
		if !ok {
			return nil, invalidRevision("The revision s3://%s/%s cannot be read: the object does not exist.", l.Bucket, l.Key)
		}
		content = c
		cp := *l
		out = revisionLocation{RevisionType: "S3", S3Location: &cp}
	default:
		return nil, invalidRevision("The revision type %q is not supported for an ECS deployment; use AppSpecContent or S3.", loc.RevisionType)
	}
	spec, err := parseAppSpec(content)
	if err != nil {
		return nil, err
	}
	key := revisionKey(&out)
	if r := app.revisions[key]; r != nil && r.content == content {
		return r, nil
	}
	r := &cdRevision{location: out, content: content, spec: spec, registered: s.clock.Now()}
	app.revisions[key] = r
	return r, nil
}

// revisionKey identifies a revision within an application.
func revisionKey(l *revisionLocation) string {
	switch {
	case l.AppSpecContent != nil:
		if l.AppSpecContent.Sha256 != "" {
			return "sha256:" + l.AppSpecContent.Sha256
		}
		if l.AppSpecContent.Content != nil {
			return "sha256:" + sha256Hex(*l.AppSpecContent.Content)
		}
	case l.S3Location != nil:
		return "s3:" + l.S3Location.Bucket + "/" + l.S3Location.Key + "@" + l.S3Location.Version
	}
	return ""
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func withoutContent(l *revisionLocation) *revisionLocation {
	cp := *l
	if l.AppSpecContent != nil {
		cp.AppSpecContent = &appSpecContent{Sha256: l.AppSpecContent.Sha256}
	}
	return &cp
}

func (s *Sim) cdGetApplicationRevision(req *request) (any, error) {
	var in struct {
		ApplicationName string            `json:"applicationName"`
		Revision        *revisionLocation `json:"revision"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	app, err := s.appLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	if in.Revision == nil {
		return nil, errf("RevisionRequiredException", "Revision must be specified.")
	}
	if in.Revision.RevisionType != "AppSpecContent" && in.Revision.RevisionType != "S3" {
		return nil, invalidRevision("The revision type %q is not valid.", in.Revision.RevisionType)
	}
	r := app.revisions[revisionKey(in.Revision)]
	if r == nil {
		return nil, errf("RevisionDoesNotExistException", "No application revision found for the given revision in application %s.", app.name)
	}
	return map[string]any{
		"applicationName": app.name,
		"revision":        r.location,
		"revisionInfo": map[string]any{
			"deploymentGroups": r.groups, "registerTime": epochPtr(r.registered),
			"firstUsedTime": epochPtr(r.firstUsed), "lastUsedTime": epochPtr(r.lastUsed),
		},
	}, nil
}
