package content

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGitHubPlatform(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if p, err := GitHubPlatform(env(nil)); p != nil || err != nil {
		t.Errorf("outside GitHub Actions: %+v, %v", p, err)
	}
	bot := write("bot.json", `{"pull_request": {"number": 7, "user": {"login": "renovate[bot]", "type": "Bot"}}}`)
	p, err := GitHubPlatform(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": bot, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_ACTOR": "ada"}))
	if err != nil || p.PR != 7 || p.Author != "renovate[bot]" || p.AuthorIs != "Bot" || p.Actor != "ada" || p.Event != "pull_request" {
		t.Fatalf("bot event: %+v, %v", p, err)
	}
	if login, ok := p.agentAuthor(nil); !ok || login != "renovate[bot]" {
		t.Error("a bot account's pull request is not an agent's")
	}
	human := &Platform{Author: "Ada", AuthorIs: "User"}
	if _, ok := human.agentAuthor([]string{"docs-robot"}); ok {
		t.Error("a person's pull request counts as an agent's")
	}
	if _, ok := (&Platform{Author: "Docs-Robot", AuthorIs: "User"}).agentAuthor([]string{"docs-robot"}); !ok {
		t.Error("agentLogins does not match case-insensitively")
	}
	if _, ok := (*Platform)(nil).agentAuthor([]string{"x"}); ok {
		t.Error("no platform counts as an agent")
	}
	push := write("push.json", `{"ref": "refs/heads/main"}`)
	if p, err := GitHubPlatform(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": push})); err != nil || p.Author != "" {
		t.Errorf("push event: %+v, %v", p, err)
	}
	bad := write("bad.json", `{"pull_request": [`)
	if _, err := GitHubPlatform(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": bad})); err == nil {
		t.Error("a broken event file is accepted")
	}
}
