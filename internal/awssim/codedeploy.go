package awssim

type codedeployState struct{}

// ApplicationSeed describes a CodeDeploy application and its deployment
// groups in a seed file.
type ApplicationSeed struct{}

func (s *Sim) registerCodeDeploy() {}

func (s *Sim) seedCodeDeploy(apps []ApplicationSeed) error { return nil }

func (s *Sim) startEngine() {}
