package slacksim

// The views.* Web API methods: open, push and update modals, publish Home
// tabs.

// maxStack is how many modals one user may have stacked: the root and two
// pushed above it.
const maxStack = 3

// triggerArg reads trigger_id, or interactivity_pointer, its other name.
func triggerArg(c *call) (string, error) {
	for _, key := range []string{"trigger_id", "interactivity_pointer"} {
		if t := c.str(key); t != "" {
			return t, nil
		}
	}
	return "", fail("invalid_arguments", "missing required field: trigger_id [json-pointer:/trigger_id]")
}

// viewsOpen is views.open: a trigger opens a modal for the user who made
// it. A modal already open for that user is replaced (see package doc).
func (s *Server) viewsOpen(c *call) (map[string]any, error) {
	return s.showModal(c, func(t *trigger, body map[string]any) (*viewRec, error) {
		s.clearLocked(t.user)
		v := s.newViewLocked(t.user, "modal", body, t.id)
		s.views.stacks[t.user] = []*viewRec{v}
		s.stream.publish(StreamEvent{Kind: "view_opened", ViewID: v.id, User: v.user})
		return v, nil
	})
}

// viewsPush is views.push: a trigger from an interaction inside an open
// modal stacks a new modal on top, up to three.
func (s *Server) viewsPush(c *call) (map[string]any, error) {
	return s.showModal(c, func(t *trigger, body map[string]any) (*viewRec, error) {
		from := s.views.byID[t.viewID]
		stack := s.views.stacks[t.user]
		if from == nil || !from.open || from.typ != "modal" || len(stack) == 0 {
			return nil, fail("not_found")
		}
		if len(stack) >= maxStack {
			return nil, fail("push_limit_reached")
		}
		return s.pushLocked(t.user, body, t.id), nil
	})
}

// showModal is what views.open and views.push share: a trigger still
// valid, a modal that passes Slack's checks, an external_id not taken. The
// trigger is used up only when show succeeds.
func (s *Server) showModal(c *call, show func(*trigger, map[string]any) (*viewRec, error)) (map[string]any, error) {
	id, err := triggerArg(c)
	if err != nil {
		return nil, err
	}
	body, err := parseView(c, "modal")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.checkTriggerLocked(id)
	if err != nil {
		return nil, err
	}
	if s.externalIDTakenLocked(body, nil) {
		return nil, fail("duplicate_external_id")
	}
	v, err := show(t, body)
	if err != nil {
		return nil, err
	}
	t.used = true
	return map[string]any{"view": s.viewJSONLocked(v, false)}, nil
}

// pushLocked stacks a new modal on the user's open stack.
func (s *Server) pushLocked(user string, body map[string]any, trigger string) *viewRec {
	stack := s.views.stacks[user]
	v := s.newViewLocked(user, "modal", body, trigger)
	v.rootID, v.previousID = stack[0].id, stack[len(stack)-1].id
	s.views.stacks[user] = append(stack, v)
	s.stream.publish(StreamEvent{Kind: "view_opened", ViewID: v.id, User: v.user})
	return v
}

// viewsUpdate is views.update: replaces an open view, named by view_id or
// external_id, checking hash when given.
func (s *Server) viewsUpdate(c *call) (map[string]any, error) {
	viewID, extID := c.str("view_id"), c.str("external_id")
	if viewID == "" && extID == "" {
		return nil, fail("invalid_arguments", "missing required field: view_id or external_id [json-pointer:/view_id]")
	}
	s.mu.Lock()
	v := s.openViewLocked(viewID, extID)
	typ := "modal"
	if v != nil {
		typ = v.typ
	}
	s.mu.Unlock()
	body, err := parseView(c, typ)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v = s.openViewLocked(viewID, extID); v == nil || v.typ != typ {
		return nil, fail("not_found")
	}
	if h := c.str("hash"); h != "" && h != v.hash {
		return nil, fail("hash_conflict")
	}
	if s.externalIDTakenLocked(body, v) {
		return nil, fail("duplicate_external_id")
	}
	s.setBodyLocked(v, body)
	s.stream.publish(StreamEvent{Kind: "view_updated", ViewID: v.id, User: v.user})
	return map[string]any{"view": s.viewJSONLocked(v, false)}, nil
}

// viewsPublish is views.publish: sets a user's Home tab. The Home view
// keeps its ID across publishes.
func (s *Server) viewsPublish(c *call) (map[string]any, error) {
	user := c.str("user_id")
	s.mu.Lock()
	_, err := s.humanLocked(user)
	s.mu.Unlock()
	if err != nil {
		return nil, fail("invalid_arguments", "invalid `user_id`")
	}
	if s.opts.Workspace.NoHomeTab {
		return nil, fail("not_enabled")
	}
	body, err := parseView(c, "home")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	home := s.views.homes[user]
	if h := c.str("hash"); h != "" && home != nil && h != home.hash {
		return nil, fail("hash_conflict")
	}
	if s.externalIDTakenLocked(body, home) {
		return nil, fail("duplicate_external_id")
	}
	if home == nil {
		home = s.newViewLocked(user, "home", body, "")
		s.views.homes[user] = home
	} else {
		s.setBodyLocked(home, body)
	}
	s.stream.publish(StreamEvent{Kind: "home_published", ViewID: home.id, User: user})
	return map[string]any{"view": s.viewJSONLocked(home, false)}, nil
}
