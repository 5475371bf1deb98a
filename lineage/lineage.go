// Package lineage keeps and answers the record of where each artifact came
// from and what happened to it: lineage records and lifecycle events, stored
// as JSON lines in Git notes on the build commits of the artifact branch, and
// the queries over them (lineage, history, log, provenance, events).
package lineage

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Actions of a lineage record and events of the lifecycle log.
const (
	Created   = "created"
	Updated   = "updated"
	Retracted = "retracted"
	// Transitioned is a lifecycle event: a manifest's status moved.
	Transitioned = "transitioned"
	// RolledBack is a lifecycle event: a build brought back an earlier
	// version, by a commit with a Small-Rollback-Of trailer.
	RolledBack = "rolledback"
)

// Actor types: who caused a change.
const (
	ActorHuman = "human"
	ActorAgent = "agent"
)

// ActorTypes are the values of Actor.Type.
var ActorTypes = []string{ActorHuman, ActorAgent}

// Actor says who caused a change: a human or an agent.
type Actor struct {
	Type  string `json:"type" jsonschema:"human or agent"` // ActorHuman or ActorAgent
	Name  string `json:"name" jsonschema:"the agent's name (its Small-Agent trailer or Co-authored-by name) or the author's name"`
	Email string `json:"email" jsonschema:"the e-mail of the commit's author, or of the agent a Co-authored-by trailer names"`
	// Human is the person an agent made the version with: the commit's
	// author, where a Co-authored-by trailer names the agent.
	Human Person `json:"human,omitzero" jsonschema:"the person an agent made the version with: the commit's author, where a Co-authored-by trailer names the agent"`
}

// Person is someone named in a commit: a name and an e-mail address.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// String is how small's text output names an actor: "human Ann",
// "agent drafter", "agent Copilot with Ann".
func (a Actor) String() string {
	s := a.Type + " " + a.Name
	if a.Human != (Person{}) {
		s += " with " + a.Human.Name
	}
	return s
}

// Record is one line of a lineage note: one artifact a build created,
// updated or retracted, and the manifest version that caused it.
type Record struct {
	Artifact       string `json:"artifact" jsonschema:"the artifact's path in the artifact tree"`
	Blob           string `json:"blob" jsonschema:"git blob id of the artifact version built; for retracted, of the version removed"`
	SHA256         string `json:"sha256" jsonschema:"hex SHA-256 of that version's bytes"`
	Action         string `json:"action" jsonschema:"what the build did to the artifact"`
	Kind           string `json:"kind" jsonschema:"the manifest's kind"`
	ID             string `json:"id" jsonschema:"the manifest's id"`
	Locale         string `json:"locale,omitempty" jsonschema:"a translation's locale; absent for the default locale's version"`
	Manifest       string `json:"manifest" jsonschema:"repository-relative path of the manifest file"`
	ManifestBlob   string `json:"manifestBlob" jsonschema:"git blob id of the manifest version that built it"`
	ManifestCommit string `json:"manifestCommit" jsonschema:"the commit that introduced that manifest version; for retracted, the commit built"`
	Actor          Actor  `json:"actor" jsonschema:"who made manifestCommit"`
	SchemaDigest   string `json:"schemaDigest" jsonschema:"the schema digest the artifact was built with"`
	// Platform is who the hosting platform said ran the build, where it
	// said (in GitHub Actions); an observation, not a fact a rebuild
	// reproduces.
	Platform *Platform `json:"platform,omitempty" jsonschema:"who the hosting platform said ran the build (GitHub Actions only): an observation, not a fact a rebuild reproduces"`
	// Assets are the files the manifest's @asset fields name, as the
	// build copied them into the artifact tree; absent when there are
	// none (and in records written before small knew assets).
	Assets []AssetRef `json:"assets,omitempty" jsonschema:"the files the manifest's @asset fields name, in path order, as the build copied them into the artifact tree; absent when none"`
	// Uses are the manifests the artifact's bytes were made from besides
	// its own: those the manifest's @ref fields name, where its kind reads
	// them (#refs) and the artifact is one of its #outputs; absent
	// otherwise (and in records written before small recorded them).
	Uses []UseRef `json:"uses,omitempty" jsonschema:"the manifests the artifact was rendered with besides its own: those its manifest's @ref fields name, when its kind reads them (#refs) and the artifact is one of its #outputs, each at the version (blob) the build read; absent otherwise"`
}

// UseRef is one manifest an artifact was rendered with: the version of
// it, in the build's manifest commit, that the build read. Its keys
// differ from a record's "artifact", so that a note is searched by
// "manifest":"<path>" without finding the records that merely use it.
type UseRef struct {
	Kind   string `json:"kind" jsonschema:"the kind of the manifest referenced"`
	ID     string `json:"id" jsonschema:"its id"`
	Locale string `json:"locale,omitempty" jsonschema:"the translation read, when the kind and id have no version in the default locale"`
	Path   string `json:"path" jsonschema:"repository-relative path of its file in the manifest commit built"`
	Blob   string `json:"blob" jsonschema:"git blob id of the version read"`
}

// AssetRef is one file an artifact uses: where the manifest's commit has
// it, its bytes, and where the build copied it in the artifact tree
// (protocol.AssetPath). Its keys differ from a record's, so that a note
// is searched by "artifact":"<path>" without finding the records that
// merely use an asset.
type AssetRef struct {
	Path         string `json:"path" jsonschema:"repository-relative path of the file in the manifest commit"`
	Blob         string `json:"blob" jsonschema:"its git blob id; the artifact tree's entry is this very blob"`
	SHA256       string `json:"sha256" jsonschema:"hex SHA-256 of its bytes"`
	ArtifactPath string `json:"artifactPath" jsonschema:"where the build put it: assets/sha256/<first two hex digits>/<sha256><extension>"`
}

// Platform is the identity a hosting platform vouched for when a build
// ran: the event, the login that started it, and the pull request's
// number and author where the event carries them.
type Platform struct {
	Name     string `json:"name" jsonschema:"the platform"` // "github"
	Event    string `json:"event,omitempty"`
	Actor    string `json:"actor,omitempty"`
	PR       int    `json:"pullRequest,omitempty"`
	PRAuthor string `json:"pullRequestAuthor,omitempty"`
}

// Event is one line of a lifecycle note. Time comes first so that sorted
// lines are in time order.
type Event struct {
	Time     string `json:"time" jsonschema:"RFC 3339 in UTC: the committer date of the commit the event belongs to, or when an observation was recorded; informative only, never the order"` // RFC 3339, the manifest commit's committer date
	Event    string `json:"event" jsonschema:"what happened: created, updated, retracted, transitioned and rolledback are small build's; any other name is an observation recorded with small event"`
	Artifact string `json:"artifact" jsonschema:"the artifact's path"`
	Kind     string `json:"kind" jsonschema:"the manifest's kind"`
	ID       string `json:"id" jsonschema:"the manifest's id"`
	Locale   string `json:"locale,omitempty" jsonschema:"a translation's locale; absent for the default locale's version"`
	// From and To are the lifecycle states a transitioned event moves
	// between; To is the state a created event enters.
	From           string `json:"from,omitempty" jsonschema:"transitioned: the state the manifest left"`
	To             string `json:"to,omitempty" jsonschema:"transitioned: the state it entered; created: the state it was created in"`
	ManifestCommit string `json:"manifestCommit" jsonschema:"the commit the event belongs to"`
	Actor          Actor  `json:"actor" jsonschema:"who made that commit; for an observation, who recorded it"`
	// RollbackOf is the build whose version a rolledback event brings back.
	RollbackOf string `json:"rollbackOf,omitempty" jsonschema:"rolledback: the full id of the build whose version was brought back"`
	Message    string `json:"message,omitempty" jsonschema:"an observation's free text"`
	// Seq orders a build's events by the graph order of the commits that
	// caused them (parents first), never by their times; 0 for events that
	// are not steps of a manifest's lifecycle.
	Seq int `json:"seq,omitempty" jsonschema:"transitioned: its place among the build's status changes in graph order, from 1"`
	// Collapsed marks a transition that one commit made together with
	// others (a squash), recorded as one step of the unique shortest way.
	Collapsed bool `json:"collapsed,omitempty" jsonschema:"transitioned: one commit made several steps at once; this is one of them"`
	// Illegal marks a status change the lifecycle has no way for, merged
	// although small check refuses it: a finding for small verify.
	Illegal bool `json:"illegal,omitempty" jsonschema:"transitioned: a move the lifecycle has no way for, which small verify fails"`
	// EventID makes each observation unique: two identical observations
	// in the same second are two lines, which notes merged as sorted
	// unique lines (cat_sort_uniq, small pull) keep both. Build events need
	// none: a rebuild reproduces them.
	EventID string `json:"eventId,omitempty" jsonschema:"an observation's unique id (128 random bits in hex)"`
}

// SortEvents orders the events of one build as they happened: the build's
// own (artifact changes, then each status change in the graph order of the
// commits that made it), then the observations recorded on it since;
// never by their times. Among equals the note's order is kept.
func SortEvents(evs []Event) {
	rank := func(e Event) int {
		if slices.Contains(BuildEvents, e.Event) {
			return e.Seq
		}
		return math.MaxInt // an observation, made after the build
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(rank(a), rank(b)) })
}

// JSONLines renders values as one JSON object per line, lines sorted, so
// that notes merged line by line (git notes merge -s cat_sort_uniq) lose
// nothing and the same records make the same bytes.
func JSONLines[T any](items []T) ([]byte, error) {
	lines := make([]string, len(items))
	for i, it := range items {
		b, err := MarshalLine(it)
		if err != nil {
			return nil, err
		}
		lines[i] = string(b)
	}
	return SortLines(lines), nil
}

// MarshalLine renders one JSON line, without HTML escaping (& < > stay as
// written, as in all of small's JSON).
func MarshalLine(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// SortLines renders lines sorted and without duplicates, one per line.
func SortLines(lines []string) []byte {
	slices.Sort(lines)
	lines = slices.Compact(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseRecords reads a lineage note. Lines that are not records (a note
// appended by hand with git notes append) are returned as errors, one per
// line, and do not stop the reading.
func ParseRecords(note []byte) ([]Record, []error) {
	var out []Record
	var errs []error
	for i, line := range strings.Split(string(note), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Artifact == "" {
			errs = append(errs, fmt.Errorf("line %d: not a lineage record: %.60q", i+1, line))
			continue
		}
		out = append(out, r)
	}
	return out, errs
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// ActorOf says who made a commit: an agent when the commit carries a
// Small-Agent trailer (its value is the agent's name), when isAgent says
// the author's e-mail is an agent's, or when a Co-authored-by trailer (the
// marker GitHub, Copilot and coding agents write) names an identity whose
// e-mail isAgent says is an agent's: then the first such co-author is the
// actor, and the author, a person, is recorded beside it. A human
// otherwise.
//
// The trailers are the commit's own claims; each can only make a commit an
// agent's, which the gate holds to the stricter rules.
func ActorOf(c *repo.Commit, isAgent func(email string) bool) Actor {
	if agent := c.Trailer(protocol.TrailerAgent); agent != "" {
		return Actor{Type: ActorAgent, Name: agent, Email: c.Author.Email}
	}
	a := Actor{Type: ActorHuman, Name: c.Author.Name, Email: c.Author.Email}
	if isAgent == nil {
		return a
	}
	if isAgent(c.Author.Email) {
		a.Type = ActorAgent
		return a
	}
	for _, t := range c.Trailers() {
		if !strings.EqualFold(t.Key, protocol.TrailerCoAuthoredBy) {
			continue
		}
		if name, email, ok := ParseIdent(t.Value); ok && isAgent(email) {
			return Actor{Type: ActorAgent, Name: name, Email: email, Human: Person{Name: a.Name, Email: a.Email}}
		}
	}
	return a
}

// ParseIdent splits a git identity, "Name <email>", as a Co-authored-by
// trailer gives it; ok is false when it is not one.
func ParseIdent(s string) (name, email string, ok bool) {
	s = strings.TrimSpace(s)
	open := strings.LastIndexByte(s, '<')
	if open < 0 || !strings.HasSuffix(s, ">") {
		return "", "", false
	}
	name, email = strings.TrimSpace(s[:open]), s[open+1:len(s)-1]
	if email == "" || strings.ContainsAny(email, "<> ") {
		return "", "", false
	}
	if name == "" {
		name = email
	}
	return name, email, true
}
