package awssim

type ecrState struct{}

func (s *Sim) registerECR() {}
