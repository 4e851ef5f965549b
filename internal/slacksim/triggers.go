package slacksim

import (
	"fmt"
	"time"
)

// trigger is one trigger_id: minted by a user's interaction, exchanged at
// most once for a view, within TriggerTTL of real time.
type trigger struct {
	id   string
	user string
	// viewID is the modal or Home view the interaction happened in; empty
	// for slash commands, message buttons and shortcuts. views.push needs
	// one from a modal that is still open.
	viewID string
	issued time.Time // real time, whatever the workspace clock says
	used   bool
}

// newTriggerLocked mints a trigger_id for user, shaped as Slack's
// "132456.7890123.abcdef".
func (s *Server) newTriggerLocked(user, viewID string) string {
	s.seq++
	id := fmt.Sprintf("%d.%d.%016x", s.now().Unix(), s.seq, s.seq*7919)
	s.triggers[id] = &trigger{id: id, user: user, viewID: viewID, issued: s.realNow()}
	return id
}

// checkTriggerLocked finds a trigger that may still be exchanged,
// answering Slack's error names: invalid_trigger_id for one never issued,
// exchanged_trigger_id for one used before, expired_trigger_id past its TTL
// of real time.
func (s *Server) checkTriggerLocked(id string) (*trigger, error) {
	t := s.triggers[id]
	switch {
	case t == nil:
		return nil, fail("invalid_trigger_id")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case s.realNow().Sub(t.issued) > s.opts.TriggerTTL:
		return nil, fail("expired_trigger_id")
	}
	return t, nil
}

// IssueTrigger returns a fresh trigger_id, as if the workspace's first user
// had just run a slash command: a view opened with it is theirs.
func (s *Server) IssueTrigger() string {
	user := ""
	for _, u := range s.opts.Workspace.Users {
		if !u.IsBot {
			user = u.ID
			break
		}
	}
	return s.IssueTriggerFor(user)
}

// IssueTriggerFor returns a fresh trigger_id minted by userID, as if they
// had just run a slash command.
func (s *Server) IssueTriggerFor(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked(userID, "")
}
