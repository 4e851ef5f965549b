package pgtest

import (
	"context"
	"errors"
)

// errHalted is what a server between Halt and Resume answers.
var errHalted = errors.New("pgtest: the server is halted (Resume starts it again)")

// Halt stops the server as `pg_ctl stop -m fast` does: every session is cut
// and the server exits, but its data directory stays. Until Resume, nothing
// listens on its port, so clients see the database gone, as in an outage or
// a failover. It returns once the server has exited.
func (s *Server) Halt() error {
	s.closeAdmin()
	s.proc.Lock()
	defer s.proc.Unlock()
	if s.cmd == nil {
		return errHalted
	}
	s.shutdown()
	return nil
}

// Resume starts a halted server again on the same data directory and port,
// and returns once it accepts connections: every database and row
// committed before Halt is there. It fails if the port was taken meanwhile.
func (s *Server) Resume(ctx context.Context) error {
	s.proc.Lock()
	if s.cmd != nil {
		s.proc.Unlock()
		return errors.New("pgtest: the server is running; Halt it first")
	}
	err := s.launch(ctx, s.Port)
	s.proc.Unlock()
	if err != nil {
		return err
	}
	return s.connectAdmin(ctx)
}
