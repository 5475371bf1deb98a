package content

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/smallhq/small/lineage"
)

// Platform is who a hosting platform says is behind a change: in GitHub
// Actions, the pull request's author from the event that started the run.
// Unlike a commit's author, which anyone can type, the platform vouches for
// it.
type Platform struct {
	Event    string // e.g. pull_request
	Actor    string // the login that triggered the run
	PR       int    // the pull request's number; 0 when the event has none
	Author   string // the pull request's author's login
	AuthorIs string // the account type GitHub gives: "User" or "Bot"
}

// GitHubPlatform reads the event GitHub Actions hands a job
// ($GITHUB_EVENT_PATH, with $GITHUB_EVENT_NAME and $GITHUB_ACTOR). It
// returns nil outside GitHub Actions.
func GitHubPlatform(getenv func(string) string) (*Platform, error) {
	if getenv("GITHUB_ACTIONS") != "true" || getenv("GITHUB_EVENT_PATH") == "" {
		return nil, nil
	}
	p := &Platform{Event: getenv("GITHUB_EVENT_NAME"), Actor: getenv("GITHUB_ACTOR")}
	data, err := os.ReadFile(getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return nil, fmt.Errorf("read the GitHub event: %w", err)
	}
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
			User   struct {
				Login string `json:"login"`
				Type  string `json:"type"`
			} `json:"user"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("read the GitHub event %s: %w", getenv("GITHUB_EVENT_PATH"), err)
	}
	if pr := ev.PullRequest; pr != nil {
		p.PR, p.Author, p.AuthorIs = pr.Number, pr.User.Login, pr.User.Type
	}
	return p, nil
}

// Lineage is the platform identity as lineage records it.
func (p *Platform) Lineage() *lineage.Platform {
	if p == nil {
		return nil
	}
	return &lineage.Platform{Name: "github", Event: p.Event, Actor: p.Actor, PR: p.PR, PRAuthor: p.Author}
}

// agentAuthor is the agent's login when the platform says an agent opened
// the pull request: a bot account, or a login the policy lists in
// agentLogins. Who sent the event or started the run is not used: a bot
// that merges the target into a person's pull request, or re-runs its
// check, is not its author, and the next event's sender would undo it.
func (p *Platform) agentAuthor(logins []string) (string, bool) {
	if p == nil || p.Author == "" {
		return "", false
	}
	if p.AuthorIs == "Bot" {
		return p.Author, true
	}
	for _, l := range logins {
		if strings.EqualFold(l, p.Author) {
			return p.Author, true
		}
	}
	return "", false
}
