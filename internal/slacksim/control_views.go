package slacksim

import (
	"context"
	"encoding/json"
	"net/http"
)

// routeViews mounts the control API of modals, the Home tab and shortcuts.
// Each POST answers like /_sim/slash, with the app's ack.
func (s *Server) routeViews(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/views", s.ctlViews)
	mux.HandleFunc("POST /_sim/views/submit", control(s.SubmitView, "{user_id, view_id, values}",
		func(r SubmitRequest) bool { return r.UserID != "" && r.ViewID != "" }))
	mux.HandleFunc("POST /_sim/views/action", control(s.ViewAction, "{user_id, view_id, action_id, value}",
		func(r ViewActionRequest) bool { return r.UserID != "" && r.ViewID != "" && r.ActionID != "" }))
	mux.HandleFunc("POST /_sim/views/suggest", control(s.Suggest, "{user_id, view_id, action_id, value}",
		func(r SuggestRequest) bool { return r.UserID != "" && r.ViewID != "" && r.ActionID != "" }))
	mux.HandleFunc("POST /_sim/views/close", control(s.CloseView, "{user_id, view_id, clear}",
		func(r CloseRequest) bool { return r.UserID != "" && r.ViewID != "" }))
	mux.HandleFunc("POST /_sim/home", control(s.OpenHome, "{user_id, tab}",
		func(r HomeRequest) bool { return r.UserID != "" }))
	mux.HandleFunc("POST /_sim/shortcut", control(s.Shortcut, "{user_id, callback_id}",
		func(r ShortcutRequest) bool { return r.UserID != "" && r.CallbackID != "" }))
}

// control turns a user-side Go call into a control endpoint: decode the
// JSON request, check it, call, answer with ctlResult.
func control[Req, Res any](call func(context.Context, Req) (Res, error), usage string, ok func(Req) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !ok(req) {
			ctlError(w, http.StatusBadRequest, "want JSON "+usage, nil)
			return
		}
		res, err := call(r.Context(), req)
		ctlResult(w, res, err)
	}
}

// ctlViews is GET /_sim/views?user_id=U: the user's open modals, root
// first, then their Home tab (type home).
func (s *Server) ctlViews(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user_id")
	if user == "" {
		ctlError(w, http.StatusBadRequest, "want ?user_id=U…", nil)
		return
	}
	s.mu.Lock()
	_, err := s.humanLocked(user)
	s.mu.Unlock()
	views := s.UserViews(user)
	for i := range views {
		views[i].View = nil // the same again, in Slack's shape
	}
	ctlResult(w, views, err)
}
