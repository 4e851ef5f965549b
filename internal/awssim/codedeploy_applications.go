package awssim

import (
	"fmt"
	"time"
)

// CodeDeploy applications, and the seed that creates them with their
// deployment groups.

type cdApp struct {
	id        string
	name      string
	createdAt time.Time
	groups    map[string]*cdGroup
	revisions map[string]*cdRevision // by revisionKey
}

// ApplicationSeed describes a CodeDeploy application and its deployment
// groups in a seed file. The services named must be seeded in ECS first.
type ApplicationSeed struct {
	Name             string                `yaml:"name"`
	DeploymentGroups []DeploymentGroupSeed `yaml:"deploymentGroups"`
}

func (s *Sim) seedCodeDeploy(apps []ApplicationSeed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range apps {
		app, err := s.createApplicationLocked(a.Name)
		if err != nil {
			return fmt.Errorf("seed codedeploy application %q: %w", a.Name, err)
		}
		for _, g := range a.DeploymentGroups {
			if _, err := s.createGroupLocked(app, s.groupFromSeed(g)); err != nil {
				return fmt.Errorf("seed deployment group %s/%s: %w", a.Name, g.Name, err)
			}
		}
	}
	return nil
}

func (s *Sim) cdCreateApplication(req *request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
		ComputePlatform string `json:"computePlatform"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.ComputePlatform != "" && in.ComputePlatform != "ECS" {
		return nil, errf("InvalidComputePlatformException", "The simulator supports only the ECS compute platform, not %s.", in.ComputePlatform)
	}
	app, err := s.createApplicationLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return map[string]string{"applicationId": app.id}, nil
}

func (s *Sim) createApplicationLocked(name string) (*cdApp, error) {
	if name == "" {
		return nil, errf("ApplicationNameRequiredException", "Application name must be specified")
	}
	if len(name) > 100 {
		return nil, errf("InvalidApplicationNameException", "Application name is too long: %s", name)
	}
	if _, ok := s.codedeploy.apps[name]; ok {
		return nil, errf("ApplicationAlreadyExistsException", "%s already exists in your account", name)
	}
	app := &cdApp{id: newUUID(), name: name, createdAt: s.clock.Now(), groups: map[string]*cdGroup{}, revisions: map[string]*cdRevision{}}
	s.codedeploy.apps[name] = app
	return app, nil
}

type applicationInfoOut struct {
	ApplicationID   string `json:"applicationId"`
	ApplicationName string `json:"applicationName"`
	ComputePlatform string `json:"computePlatform"`
	CreateTime      *epoch `json:"createTime,omitempty"`
	LinkedToGitHub  bool   `json:"linkedToGitHub"`
}

func (s *Sim) cdGetApplication(req *request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	app, err := s.appLocked(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"application": applicationInfoOut{
		ApplicationID: app.id, ApplicationName: app.name, ComputePlatform: "ECS", CreateTime: epochPtr(app.createdAt),
	}}, nil
}

func (s *Sim) appLocked(name string) (*cdApp, error) {
	if name == "" {
		return nil, errf("ApplicationNameRequiredException", "Application name must be specified")
	}
	app := s.codedeploy.apps[name]
	if app == nil {
		return nil, errf("ApplicationDoesNotExistException", "No application found for name: %s", name)
	}
	return app, nil
}

func (s *Sim) cdListApplications(req *request) (any, error) {
	var in struct {
		NextToken string `json:"nextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	names := sortedKeys(s.codedeploy.apps)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return map[string]any{"applications": page, "nextToken": next}, nil
}

func (s *Sim) appArn(app string) string {
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:application:%s", s.region, s.account, app)
}
