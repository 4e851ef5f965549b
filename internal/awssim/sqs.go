package awssim

type sqsState struct{}

func (s *Sim) registerSQS() {}
