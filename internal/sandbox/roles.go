package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/switchyard/switchyard/internal/config"
)

// Role is what one person may do, as the bot's access lists decide it.
type Role struct {
	UserID   string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	// Apps holds, per app, the actions allowed: deploy, rollback, approve,
	// lock (which also unlocks). An app the person may do nothing with is
	// absent.
	Apps map[string][]string `json:"apps"`
	// Summary says it in a few words: "may deploy, roll back, lock", "may
	// approve payments", "may only watch".
	Summary string `json:"summary"`
}

// Actions in the order the console names them.
var roleActions = []string{"deploy", "rollback", "approve", "lock"}

var roleVerbs = map[string]string{"deploy": "deploy", "rollback": "roll back", "approve": "approve", "lock": "lock"}

// Roles computes each person's role from the sandbox's bot config, with
// user groups resolved through the Slack workspace (usergroups.users.list,
// as the bot resolves them).
func (sb *Sandbox) Roles(ctx context.Context) ([]Role, error) {
	api := slack.New(sb.Slack.BotToken(), slack.OptionAPIURL(sb.Slack.URL()))
	groups := map[string][]string{}
	member := func(user string, list []string) (bool, error) {
		for _, id := range list {
			if id == user {
				return true, nil
			}
			if !strings.HasPrefix(id, "S") {
				continue
			}
			users, ok := groups[id]
			if !ok {
				var err error
				if users, err = api.GetUserGroupMembersContext(ctx, id); err != nil {
					return false, fmt.Errorf("read user group %s: %w", id, err)
				}
				groups[id] = users
			}
			if slices.Contains(users, user) {
				return true, nil
			}
		}
		return false, nil
	}
	var out []Role
	for _, u := range sb.Slack.Users() {
		if u.IsBot {
			continue
		}
		r := Role{UserID: u.ID, Name: u.Name, RealName: u.RealName, Apps: map[string][]string{}}
		for _, app := range sb.Config.Apps {
			for _, action := range roleActions {
				ok, err := member(u.ID, accessList(&app, action))
				if err != nil {
					return nil, err
				}
				if ok {
					r.Apps[app.Name] = append(r.Apps[app.Name], action)
				}
			}
		}
		r.Summary = summarize(r.Apps, len(sb.Config.Apps))
		out = append(out, r)
	}
	return out, nil
}

// accessList is who may do action in app. Whoever may deploy may also roll
// back, so that a bad version can be taken back by the person who shipped
// it: the bot decides rollbacks that way.
func accessList(app *config.App, action string) []string {
	switch action {
	case "deploy":
		return app.Access.Deploy
	case "rollback":
		return append(slices.Clone(app.Access.Rollback), app.Access.Deploy...)
	case "approve":
		return app.Access.Approve
	default:
		return app.Access.Lock
	}
}

// summarize says a role in a few words: the actions alone when they are
// the same for every app, else per app.
func summarize(apps map[string][]string, nApps int) string {
	if len(apps) == 0 {
		return "may only watch"
	}
	verbs := func(actions []string) string {
		v := make([]string, len(actions))
		for i, a := range actions {
			v[i] = roleVerbs[a]
		}
		return strings.Join(v, ", ")
	}
	var names []string
	same := len(apps) == nApps
	var first []string
	for name, actions := range apps {
		names = append(names, name)
		if first == nil {
			first = actions
		}
		same = same && slices.Equal(actions, first)
	}
	if same {
		return "may " + verbs(first)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = verbs(apps[n]) + " " + n
	}
	return "may " + strings.Join(parts, "; ")
}

func (sb *Sandbox) ctlRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := sb.Roles(r.Context())
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, roles)
}
