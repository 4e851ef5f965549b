package blocks

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRefusalsGolden pins every refusal sentence the commands tell, as the
// message a person sees.
func TestRefusalsGolden(t *testing.T) {
	lock := LockInfo{App: "myapp", Env: "production", Reason: "freeze", By: "U0BOB00001", Since: t0}
	whole := lock
	whole.Env = ""
	var ms []Message
	for _, why := range []string{
		NotOnList(ActDeploy, "myapp", "production", "deploy"),
		NotOnList(ActApprove, "myapp", "production", "approve"),
		NotOnList(ActRollback, "myapp", "production", "rollback"),
		NotOnList(ActShift, "myapp", "staging", "deploy"),
		NotOnList(ActFinish, "myapp", "staging", "deploy"),
		NotOnList(ActLock, "myapp", "production", "lock"),
		NotOnList(ActUnlock, "myapp", "", "lock"),
		GroupsUnchecked(ActRollback, "myapp", "production"),
		NotHere("myapp", "production", []string{"C0DEPLOYS1", "C0OPS00001"}, false),
		NotHere("myapp", "", []string{"C0DEPLOYS1"}, true),
		UnknownApp("wbe", "web", []string{"myapp", "web"}),
		UnknownApp("frob", "", []string{"myapp", "web"}),
		UnknownApp("frob", "", nil),
		UnknownCommand("frob", "", []string{"myapp", "web"}),
		MistypedSubcommand("histroy", "history"),
		MistypedSubcommand("adit", "audit"),
		NotOnList(ActAudit, "myapp", "", "lock"),
		NotOnList(ActFreeze, "myapp", "", "lock"),
		NotOnLockLists(ActFreeze, []string{"myapp", "payments"}),
		UnknownEnv("myapp", "prod", "production", []string{"production", "staging"}),
		UnknownEnv("myapp", "qa", "", []string{"production", "staging"}),
		UnknownConfig("Fast.Config", []string{"CodeDeployDefault.ECSAllAtOnce", "Custom.Slow"}),
		AppGone("myapp"),
		EnvGone("myapp", "production"),
		EnvMoved("myapp", "production"),
		OnlyRequesterCancels("U0ALICE001", false),
		OnlyRequesterCancels("U0ALICE001", true),
		OnlyRequesterConfirms("U0ALICE001", false, true),
		OnlyRequesterConfirms("U0ALICE001", false, false),
		OnlyRequesterConfirms("U0ALICE001", true, false),
		NeedsApprover("myapp", "production"),
		OwnApproval("myapp", "production"),
		NoApprovalNeeded("U0ALICE001"),
		NotConfigured("myapp"),
		NoSuchEnv("myapp", "qa"),
		AlreadyRollingBack("d-ROLLBACK2", "d-ABCDEFGHI"),
		NothingToRollBack("myapp", "production"),
		LockElsewhere(lock),
		LockElsewhere(whole),
	} {
		ms = append(ms, Refusal(why))
	}
	golden(t, "answer_refusals", ms)
	golden(t, "answer_failures", []Message{Problem(CardNotPosted(false)), Problem(CardNotPosted(true)), TooBusy(), Crashed()})
}

// TestRefusalsChooseTheirWords checks the choices inside the sentences:
// a suggestion rather than the list, the list when there is none, every
// environment for an empty one, and a direct message said as such.
func TestRefusalsChooseTheirWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{UnknownApp("wbe", "web", []string{"myapp", "web"}), "I don't know the app `wbe`. Did you mean `web`?"},
		{UnknownApp("frob", "", []string{"myapp", "web"}), "I don't know the app `frob`. I know `myapp`, `web`."},
		{UnknownApp("frob", "", nil), "I don't know the app `frob`."},
		{UnknownCommand("frob", "", nil), "I don't know the app `frob`. To see the commands I take, run `/deploy help`."},
		{UnknownEnv("myapp", "prod", "production", []string{"production"}), "myapp has no environment `prod`. Did you mean `production`?"},
		{UnknownEnv("myapp", "qa", "", []string{"production", "staging"}), "myapp has no environment `qa`: use `production`, `staging`."},
		{NotHere("myapp", "", []string{"C1"}, false), "myapp in any environment is handled in <#C1> only, where the team sees it. Run the command there."},
		{NotHere("myapp", "staging", []string{"C1"}, true), "I don't take that in a direct message: myapp in staging is handled in <#C1>, where the team sees it."},
		{NotOnList(ActLock, "myapp", "production", "lock"), "You may not lock myapp: you are not on the lock list of myapp in the bot's config."},
		{NotOnList(ActDeploy, "myapp", "production", "deploy"), "You may not deploy myapp to production: you are not on the deploy list of myapp in the bot's config."},
		{NotOnList(ActFreeze, "myapp", "", "lock"), "You may not freeze deploys of myapp: you are not on the lock list of myapp in the bot's config."},
		{NotOnList(ActUnfreeze, "myapp", "", "lock"), "You may not lift the freeze of myapp: you are not on the lock list of myapp in the bot's config."},
		{NotOnLockLists(ActFreeze, []string{"myapp", "web", "payments"}), "You may not freeze deploys of every app: you are not on the lock lists of myapp, web and payments in the bot's config."},
		{NotOnLockLists(ActUnfreeze, []string{"payments"}), "You may not lift the freezes of every app: you are not on the lock list of payments in the bot's config."},
		{GroupsUnchecked(ActFreeze, "", ""), "You may not freeze deploys of every app: I couldn't check your user groups with Slack just now. Try again in a minute."},
		{LockElsewhere(LockInfo{App: "web"}), "The lock is on web (the whole app); run `/deploy unlock web`."},
		{LockElsewhere(LockInfo{App: "web", Env: "production"}), "The lock is on web in production; run `/deploy unlock web to production`."},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}

// TestRefusalsEscapeOutsideText feeds every sentence text that would ping
// or link if it reached mrkdwn as it is: a name typed in Slack, an id or
// a name read back from AWS. None of it may stay markup.
func TestRefusalsEscapeOutsideText(t *testing.T) {
	const bad = "<!here>"
	lock := LockInfo{App: bad, Env: bad}
	for name, why := range map[string]string{
		"not on list":        NotOnList(ActDeploy, bad, bad, bad),
		"not on lock list":   NotOnList(ActLock, bad, bad, "lock"),
		"groups":             GroupsUnchecked(ActShift, bad, bad),
		"freeze of all":      NotOnLockLists(ActFreeze, []string{"web", bad}),
		"freeze":             NotOnList(ActFreeze, bad, "", "lock"),
		"not here":           NotHere(bad, bad, nil, true),
		"unknown app":        UnknownApp(bad, bad, nil),
		"unknown app list":   UnknownApp(bad, "", []string{bad}),
		"unknown command":    UnknownCommand(bad, "", []string{bad}),
		"unknown env":        UnknownEnv(bad, bad, bad, nil),
		"unknown env list":   UnknownEnv(bad, bad, "", []string{bad}),
		"unknown config":     UnknownConfig(bad, []string{bad}),
		"app gone":           AppGone(bad),
		"env gone":           EnvGone(bad, bad),
		"env moved":          EnvMoved(bad, bad),
		"needs approver":     NeedsApprover(bad, bad),
		"own approval":       OwnApproval(bad, bad),
		"not configured":     NotConfigured(bad),
		"no such env":        NoSuchEnv(bad, bad),
		"rolling back":       AlreadyRollingBack(bad, "d-<@U0EVIL>|x"),
		"nothing to roll":    NothingToRollBack(bad, bad),
		"lock elsewhere":     LockElsewhere(lock),
		"lock elsewhere app": LockElsewhere(LockInfo{App: bad}),
	} {
		b, err := json.Marshal(Refusal(why))
		if err != nil {
			t.Fatal(err)
		}
		out := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		if strings.Contains(out, "<!") || strings.Contains(out, "<@U0EVIL") {
			t.Errorf("%s carries live markup: %s", name, why)
		}
		if !strings.Contains(why, "&lt;") {
			t.Errorf("%s dropped the outside text instead of showing it: %s", name, why)
		}
	}
}

// A lock reason is stored as it is and escaped where it is shown, like
// every other one: escaping it when it is made would show &lt; to people.
func TestRollbackLockReasonIsEscapedWhereShown(t *testing.T) {
	reason := RollbackLockReason("myapp", "<!channel>", "d-ABCDEFGHI")
	if reason != "myapp <!channel> was rolled back (d-ABCDEFGHI); unlock when the fix is ready" {
		t.Fatalf("reason %q", reason)
	}
	shown := LockTaken(LockInfo{App: "myapp", Reason: reason, By: "U1", Since: t0})
	if strings.Contains(shown.Text, "<!channel>") {
		t.Fatalf("the reason reached mrkdwn unescaped: %s", shown.Text)
	}
}
