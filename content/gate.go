package content

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/signers"
)

// Policy is what a change is judged by. It is read from the branch the
// change goes into (Check reads the target's tip), never from the change
// itself: who is an agent and what agents may change
// (small.cue), each kind's lifecycle (the schemas), and the limits. A change
// to any of them is itself judged under the base's.
type Policy struct {
	Config *config.Config // the base's small.cue, or the defaults where it has none
	Schema *schema.Schema // the base's schemas; nil where there are none that compile
	// Signers are the people whose signed commits may enter human-only
	// states (humanSigners); nil when signatures are not required.
	Signers *signers.List
	// head are the change's schemas: they give the lifecycle of a kind the
	// base does not define, which only a human can have added (the agent
	// boundary refuses an agent's change to the schemas).
	head *schema.Schema
}

// AgentMayChange reports whether an agent's commit may change the file at
// p under the policy: what small.cue's agentPaths allow, or, with files
// rules and no agentPaths, the files the rules match and their assets: a
// file of a type some kind's @asset field takes, under that field's root,
// or, for root ".", where the files of a rule giving that kind live (see
// config.Config.BesideRuleFiles). The schemas are the base's, as is
// small.cue: a change cannot widen what it may change.
func (p *Policy) AgentMayChange(path string) bool {
	return p.Config.AgentMayChange(path) || len(p.assetFields(path)) > 0
}

// assetFields are the @asset fields that make the file at path one an
// agent may change (with files rules and no agentPaths): those whose types
// take its extension and whose root holds it.
func (p *Policy) assetFields(path string) []*schema.Asset {
	if !p.Config.AgentFilesDefault() || p.Schema == nil {
		return nil
	}
	t := schema.TypeByExtension(path)
	if t == "" {
		return nil
	}
	var out []*schema.Asset
	for _, kind := range p.Schema.Kinds {
		for _, c := range p.Schema.Constraints(kind) {
			a := c.Asset
			if a == nil || len(a.Types) > 0 && !schema.MatchesType(t, a.Types) {
				continue
			}
			if a.Root != "." && strings.HasPrefix(path, a.Root+"/") || a.Root == "." && p.Config.BesideRuleFiles(path, kind) {
				out = append(out, a)
			}
		}
	}
	return out
}

// agentAsset judges the content of a file an agent may change only as an
// asset (see assetFields): it must be of the type its name says, and no
// larger than the largest maxBytes of those fields (none when one has
// none). It returns what is wrong, "" when nothing is.
func (p *Policy) agentAsset(r *repo.Repository, path string, blob repo.Hash) (string, error) {
	if p.Config.AgentMayChange(path) {
		return "", nil
	}
	fields := p.assetFields(path)
	if len(fields) == 0 {
		return "", nil
	}
	h, err := r.BlobHead(blob, sniffBytes)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	var max int64
	for _, a := range fields {
		if a.MaxBytes <= 0 {
			max = -1
			break
		}
		max = maxOf(max, a.MaxBytes)
	}
	size, lfs := lfsPointer(h)
	if !lfs {
		size = h.Size
	}
	named := schema.TypeByExtension(path)
	switch got := schema.SniffType(h.Head); {
	case max >= 0 && size > max:
		return fmt.Sprintf("a file of %d bytes, more than the %d (maxBytes) of any @asset field that may name it", size, max), nil
	case !lfs && got != named:
		return fmt.Sprintf("a file named as %s whose content is %s", named, got), nil
	}
	return "", nil
}

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// AgentScope says in words what an agent may change under the policy.
func (p *Policy) AgentScope() string {
	scope := p.Config.AgentScope()
	if p.Config.AgentFilesDefault() && p.Schema != nil {
		for _, kind := range p.Schema.Kinds {
			for _, c := range p.Schema.Constraints(kind) {
				if c.Asset != nil {
					return scope + "; and their assets: files of the types @asset fields take, where those fields may point"
				}
			}
		}
	}
	return scope
}

// Lifecycle is the lifecycle of kind under the policy.
func (p *Policy) Lifecycle(kind string) schema.Lifecycle {
	switch {
	case p.Schema != nil && p.Schema.HasKind(kind):
		return p.Schema.Lifecycle(kind)
	case p.head != nil && p.head.HasKind(kind):
		return p.head.Lifecycle(kind)
	}
	return schema.DefaultLifecycle
}

// headLifecycle is the lifecycle the change's own schemas give kind, or nil.
func (p *Policy) headLifecycle(kind string) *schema.Lifecycle {
	if p.head == nil || !p.head.HasKind(kind) {
		return nil
	}
	lc := p.head.Lifecycle(kind)
	return &lc
}

// knows reports whether the base or the change defines kind: a version of
// an unknown kind is a finding of validation, not a manifest the gate can
// follow.
func (p *Policy) knows(kind string) bool {
	return p.Schema != nil && p.Schema.HasKind(kind) || p.head != nil && p.head.HasKind(kind)
}

// LoadPolicy reads the policy of a change from its base. head, the
// change's schemas (nil if they do not compile), lends the lifecycles of
// kinds the change adds.
func LoadPolicy(r *repo.Repository, base *repo.Commit, head *schema.Schema) (*Policy, error) {
	snap := r.Snapshot(base)
	cfg, err := config.Load(snap)
	var ce *config.Error
	switch {
	case errors.As(err, &ce) && len(ce.Diagnostics) > 0 && ce.Diagnostics[0].Code == diag.CodeConfigMissing:
		cfg = config.Default() // a change that sets small up is judged by the defaults
	case err != nil:
		return nil, fmt.Errorf("the policy of the base %s: %w", base.ID.Short(), err)
	}
	p := &Policy{Config: cfg, head: head}
	if cfg.HumanSigners != "" {
		data, err := snap.Read(cfg.HumanSigners, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("the base's humanSigners %s: %w", cfg.HumanSigners, err)
		}
		if p.Signers, err = signers.Parse(data); err != nil {
			return nil, fmt.Errorf("the base's humanSigners %s: %w", cfg.HumanSigners, err)
		}
	}
	p.Schema, err = LoadSchema(snap, cfg)
	var se *schema.Error
	if errors.As(err, &se) {
		p.Schema, err = nil, nil
	}
	return p, err
}

// Change is a change under review: the commits git rev-list Target..Head
// lists, each judged in graph order under Policy (the target's), against
// the contents of Base, the merge base of Target and Head.
type Change struct {
	Base *repo.Commit
	// Target is the tip of the branch the change goes into; nil means Base.
	Target *repo.Commit
	// Head is the commit of the new content, or nil for the working tree,
	// whose uncommitted versions have no actor: then only the rules that
	// need none apply, between Base and the working tree.
	Head   *repo.Commit
	Result *Result // the head's validation
	Policy *Policy
	// Paths, when set, narrows the findings to these files and directories.
	Paths []string
	// Tree is the working tree, read when Head is nil and Paths narrowed
	// the validation.
	Tree repo.Snapshot
	// Known, when set, are the base's manifests the caller cares about;
	// any other counts as absent from the base.
	Known []Known
	// Platform is who the hosting platform says opened the change, if any.
	Platform *Platform
	// HeadConfig is the change's own small.cue, when it has one: manifests
	// a person moved under the manifests root or files rules it names are
	// followed, not lost.
	HeadConfig *config.Config
}

// Step is one status change a commit of a change made, in graph order.
type Step struct {
	Commit   *repo.Commit
	Actor    lineage.Actor
	Kind, ID string
	Locale   string // a translation's; "" for the default locale's version
	Path     string
	From, To string
	// Via are the states passed in between when one commit made several
	// steps at once (a squash): the unique shortest allowed way.
	Via []string
	// Allowed is false for a move the lifecycle has no way for: it was
	// merged although small check refuses it.
	Allowed bool
	// Seq is the step's place in the change: commits parents first.
	Seq int
}

// Known is a manifest as the base of a change has it, for a caller that
// knows them (a build's index), so that Gate need not read them all.
type Known struct {
	Kind, ID, Path, State string
	// Locale is a translation's locale; "" for the default locale's version.
	Locale string
	Blob   repo.Hash
}

// Transitions walks a change as Gate does and lists the status changes its
// commits made, in graph order, each with the commit and actor that made
// it: what small build records as lifecycle events.
func Transitions(r *repo.Repository, ch Change) ([]Step, error) {
	g, err := runGate(r, ch)
	if err != nil {
		return nil, err
	}
	return g.steps, nil
}

// Review is Transitions and Gate in one walk: the status changes and the
// findings.
func Review(r *repo.Repository, ch Change) ([]Step, []diag.Diagnostic, error) {
	g, err := runGate(r, ch)
	if err != nil {
		return nil, nil, err
	}
	return g.steps, g.ds, nil
}

// Gate applies the rules of a change, commit by commit in graph order
// (parents first), each commit judged with its own actor:
//
//   - a status moves only along the lifecycle: one allowed transition, or,
//     when one commit makes several steps at once (a squash), the unique
//     shortest allowed path, every state of which is judged;
//   - a state only a human may enter is entered only by a human's commit;
//     a later commit that does not change the status launders nothing;
//   - a new manifest starts in its kind's initial state or one reachable
//     from it, passing only states its commit's actor may enter;
//   - a manifest is deleted only from a state that allows it;
//   - an agent does not change the content of a manifest in a frozen state
//     (by default the human-only states), unless the change moves it on to
//     a state an agent may enter;
//   - an agent's commit changes only what the policy's agentPaths allow (by
//     default the manifests), and no symbolic link or submodule.
//
// A merge commit answers for what its result has at a path that none of its
// parents in the change had, and for a version it brings back from outside
// the change that the base does not have. Commits already on the target are
// never findings of this change.
func Gate(r *repo.Repository, ch Change) ([]diag.Diagnostic, error) {
	g, err := runGate(r, ch)
	if err != nil {
		return nil, err
	}
	return g.ds, nil
}

func runGate(r *repo.Repository, ch Change) (*gate, error) {
	if ch.Target == nil {
		ch.Target = ch.Base
	}
	g := &gate{r: r, ch: ch, pol: ch.Policy, root: ch.Policy.Config.Manifests,
		inRange: map[repo.Hash]*repo.Commit{}, deltas: map[repo.Hash]map[key]*ver{},
		states: map[repo.Hash]map[key]*ver{}, decoded: map[[4]string]decoded{}, at: map[string]Manifest{},
		answered: map[string]map[repo.Hash]bool{}, signedBy: map[repo.Hash]bool{}, taints: map[repo.Hash]map[string]*broken{},
		removals: map[key]keyRemoval{}}
	for _, m := range ch.Result.Manifests {
		g.at[m.Path] = m
	}
	if ch.Known != nil {
		known := map[key]*ver{}
		for _, k := range ch.Known {
			known[key{k.Kind, k.ID, k.Locale}] = &ver{path: k.Path, state: k.State, blob: k.Blob}
		}
		g.states[ch.Base.ID] = known
	}
	if ch.Head == nil {
		err := g.workingTree()
		if err == nil {
			err = g.referenceChanges()
		}
		return g, g.finish(err)
	}
	commits, err := r.Range(ch.Target.ID, ch.Head.ID)
	if err != nil {
		var shallow *repo.ShallowError
		if errors.As(err, &shallow) {
			return nil, fmt.Errorf("to judge each commit of the change, %w", err)
		}
		return nil, err
	}
	for _, c := range commits {
		g.inRange[c.ID] = c
	}
	for i, c := range commits {
		g.seq = i + 1
		if err := g.judge(c); err != nil {
			return nil, err
		}
	}
	if err := g.settleFrozen(); err != nil {
		return nil, err
	}
	if err := g.referenceChanges(); err != nil {
		return nil, err
	}
	return g, g.finish(nil)
}

// key names a manifest across renames: its kind, id and locale.
type key [3]string

// ver is a manifest version as one commit has it.
type ver struct {
	path, state string
	blob        repo.Hash
}

type decoded struct {
	key   key
	state string
	ok    bool
	// status is what a version that is not followed says in its status
	// field, read leniently (a misspelt kind): "" when it cannot be read.
	status string
}

// broken is a manifest whose file stopped decoding: the key it held, the
// status its broken bytes say (when they can be read), and the last agent
// that touched it while broken.
type broken struct {
	key    key
	status string
	agent  lineage.Actor
	commit *repo.Commit // nil when no agent touched it
}

type frozenEdit struct {
	k      key
	v      *ver
	commit *repo.Commit
	actor  lineage.Actor
}

type gate struct {
	r       *repo.Repository
	ch      Change
	pol     *Policy
	root    string
	inRange map[repo.Hash]*repo.Commit
	// deltas are, per commit of the change, the manifests it changed: the
	// new version, or nil where it deleted one.
	deltas map[repo.Hash]map[key]*ver
	// states are the manifests of commits outside the change, read whole.
	states  map[repo.Hash]map[key]*ver
	decoded map[[4]string]decoded // by path, blob, and the kind and id the path gives
	at      map[string]Manifest   // the head's manifests by path
	// answered are, per path, the entries some commit of the change
	// answered for (ZeroHash: a deletion): the versions the change made.
	answered map[string]map[repo.Hash]bool
	frozen   []frozenEdit
	steps    []Step
	seq      int                              // the place of the commit being judged
	taints   map[repo.Hash]map[string]*broken // per commit of the change, by path
	signedBy map[repo.Hash]bool
	// removals are, by kind and id, the last commit of the change that
	// made a manifest's kind and id go (refgate.go).
	removals map[key]keyRemoval
	ds       []diag.Diagnostic
}

// decode reads the identity and state of a manifest version, matched by
// m; ok is false for one that does not decode (validation reports it at
// the head).
func (g *gate) decode(p string, m config.Match, blob repo.Hash) (decoded, error) {
	ck := [4]string{p, blob.String(), m.Kind, m.ID}
	if d, ok := g.decoded[ck]; ok {
		return d, nil
	}
	d, err := g.pol.decode(g.r, p, m, blob)
	if err != nil {
		return d, err
	}
	g.decoded[ck] = d
	return d, nil
}

// decode reads the identity and state of a manifest version, matched by m,
// under the policy's kinds and lifecycles, as the gate sees it.
func (pol *Policy) decode(r *repo.Repository, p string, m config.Match, blob repo.Hash) (decoded, error) {
	var d decoded
	data, err := r.ReadBlob(blob)
	if err != nil {
		return d, err
	}
	lim := pol.Config.ManifestLimits()
	if int64(len(data)) <= lim.MaxBytes {
		if doc, id, err := decodeManifest(p, m, data, lim); doc != nil {
			if err == nil && pol.knows(id.Kind) {
				d = decoded{key: key{id.Kind, id.ID, id.Locale}, state: id.Status, ok: true}
				if d.state == "" {
					d.state = pol.Lifecycle(id.Kind).Initial
				}
			} else if err == nil {
				d.status = id.Status
			}
		}
	}
	return d, nil
}

// match says whether p is a manifest under the target's small.cue or the
// change's own, and how the first of them that says so reads it.
func (g *gate) match(p string) (config.Match, bool) {
	return matchAny(p, g.pol.Config, g.ch.HeadConfig)
}

// matchAny is config.Config.Manifest under the first of cfgs (nil ones
// skipped) under which p is a manifest.
func matchAny(p string, cfgs ...*config.Config) (config.Match, bool) {
	for _, c := range cfgs {
		if c == nil {
			continue
		}
		if m, ok := c.Manifest(p); ok {
			return m, true
		}
	}
	return config.Match{}, false
}

// statesAt reads every manifest of a commit outside the change: under the
// target's root, the change's, and the one that commit's own small.cue names.
func (g *gate) statesAt(h repo.Hash) (map[key]*ver, error) {
	if s, ok := g.states[h]; ok {
		return s, nil
	}
	c, err := g.r.ReadCommit(h)
	if err != nil {
		return nil, err
	}
	cfgs := []*config.Config{g.pol.Config, g.ch.HeadConfig}
	if cfg, err := config.Load(g.r.Snapshot(c)); err == nil {
		cfgs = append(cfgs, cfg)
	}
	var roots []string
	for _, cfg := range cfgs {
		if cfg != nil && !slices.Contains(roots, cfg.Manifests) {
			roots = append(roots, cfg.Manifests)
		}
	}
	s := map[key]*ver{}
	for _, root := range roots {
		files, err := g.r.TreeFiles(c.Tree, root)
		if err != nil {
			return nil, err
		}
		for p, blob := range files {
			m, ok := matchAny(p, cfgs...)
			if !ok {
				continue
			}
			d, err := g.decode(p, m, blob)
			if err != nil {
				return nil, err
			}
			if d.ok {
				s[d.key] = &ver{path: p, state: d.state, blob: blob}
			}
		}
	}
	g.states[h] = s
	return s, nil
}

// lookup is the version of a manifest at commit h: the newest change along
// first parents within the change, or the commit outside it where that
// line leaves the change.
func (g *gate) lookup(h repo.Hash, k key) (*ver, error) {
	for {
		c, ok := g.inRange[h]
		if !ok {
			s, err := g.statesAt(h)
			if err != nil {
				return nil, err
			}
			return s[k], nil
		}
		if v, ok := g.deltas[h][k]; ok {
			return v, nil
		}
		if len(c.Parents) == 0 {
			return nil, nil
		}
		h = c.Parents[0]
	}
}

// answers reports whether commit c answers for the entry it has at p (id,
// ZeroHash for none). A commit with one parent answers for every change it
// makes. A merge answers for an entry unless the base has it (the target's
// version, flowing in) or a parent in the change has it and some commit of
// the change answered for it: a version the merge brings from outside the
// change (an old line of history, a commit without parents) is the
// merge's.
func (g *gate) answers(c *repo.Commit, trees []repo.Hash, p string, id repo.Hash) bool {
	if len(c.Parents) < 2 {
		return true
	}
	if g.r.FileAt(g.ch.Base.Tree, p) == id {
		return false
	}
	for i, parent := range c.Parents {
		if _, in := g.inRange[parent]; in && g.answered[p][id] && g.r.FileAt(trees[i], p) == id {
			return false
		}
	}
	return true
}

// accounted reports whether a version is one the change may build on: the
// base's, or one a commit of the change answered for.
func (g *gate) accounted(v *ver) bool {
	return g.r.FileAt(g.ch.Base.Tree, v.path) == v.blob || g.answered[v.path][v.blob]
}

// before is the version a commit's step on manifest k is judged from: for
// a commit with one parent, the parent's; for a merge, that of the first
// parent in the change whose version is accounted for, else the base's.
func (g *gate) before(c *repo.Commit, k key) (*ver, error) {
	if len(c.Parents) == 0 {
		return nil, nil
	}
	if len(c.Parents) == 1 {
		return g.lookup(c.Parents[0], k)
	}
	for _, parent := range c.Parents {
		if _, in := g.inRange[parent]; !in {
			continue
		}
		v, err := g.lookup(parent, k)
		if err != nil {
			return nil, err
		}
		if v != nil && g.accounted(v) {
			return v, nil
		}
	}
	base, err := g.statesAt(g.ch.Base.ID)
	if err != nil {
		return nil, err
	}
	return base[k], nil
}

// isFile reports whether an entry holds a file's bytes (not a link to
// another path, not another repository's commit).
func isFile(k repo.EntryKind) bool { return k == repo.File || k == repo.Executable }

// judge applies the rules to one commit of the change.
func (g *gate) judge(c *repo.Commit) error {
	actor := lineage.ActorOf(c, g.pol.Config.IsAgent)
	if login, ok := g.ch.Platform.agentAuthor(g.pol.Config.AgentLogins); ok && !g.signed(c) {
		// The platform vouches that an agent opened the change: every
		// commit in it is an agent's, whatever its author says, but for
		// one a listed person signed.
		actor = lineage.Actor{Type: "agent", Name: login, Email: c.Author.Email}
	}
	trees := make([]repo.Hash, len(c.Parents))
	for i, p := range c.Parents {
		pc, err := g.r.ReadCommit(p)
		if err != nil {
			return err
		}
		trees[i] = pc.Tree
	}
	first := repo.ZeroHash
	if len(trees) > 0 {
		first = trees[0]
	}
	changes, err := g.r.Changes(first, c.Tree)
	if err != nil {
		return err
	}
	if len(trees) > 1 {
		// A merge may answer for an entry its first parent has too: look
		// at every path where it differs from any parent.
		seen := map[string]bool{}
		for _, ch := range changes {
			seen[ch.Path] = true
		}
		for _, t := range trees[1:] {
			more, err := g.r.Changes(t, c.Tree)
			if err != nil {
				return err
			}
			for _, ch := range more {
				if !seen[ch.Path] {
					// Old is that parent's entry: what the merge keeps
					// from its first parent may drop what this one had.
					seen[ch.Path] = true
					changes = append(changes, ch)
				}
			}
		}
	}
	slices.SortFunc(changes, func(a, b repo.PathChange) int { return strings.Compare(a.Path, b.Path) })
	type addition struct {
		v      *ver
		answer bool
	}
	added := map[key][]addition{}
	removed := map[key]*ver{}
	answers := map[key]bool{}
	healed := map[key]*broken{}
	// The manifests that do not decode here, as the parents in the change
	// left them: followed along the graph, never across branches. Where
	// parents disagree about a path, the taint of the parent whose file the
	// commit keeps wins, else one an agent left.
	broke := map[string]*broken{}
	for i, p := range c.Parents {
		for path, b := range g.taints[p] {
			cur, ok := broke[path]
			switch {
			case !ok:
				broke[path] = b
			case g.r.FileAt(trees[i], path) == g.r.FileAt(c.Tree, path),
				cur.commit == nil && b.commit != nil:
				broke[path] = b
			}
		}
	}
	// Broken files this commit removes (or moves): decided after the loop,
	// once it is known where each went.
	type removal struct {
		b      *broken
		path   string
		blob   repo.Hash
		answer bool
	}
	var pending []removal
	type brokenArrival struct {
		path          string
		blob          repo.Hash
		status        string
		answer, agent bool
	}
	var arrivals []brokenArrival // files at new paths that do not decode
	var fresh []key              // keys that decode at a path new in this commit
	var mine []repo.PathChange   // the entries this commit answers for
	for _, ch := range changes {
		answer := g.answers(c, trees, ch.Path, ch.New)
		if answer {
			mine = append(mine, ch)
			if actor.Type == "agent" {
				g.boundary(c, actor, ch)
			}
		}
		m, ok := g.match(ch.Path)
		if !ok {
			continue
		}
		var nd, od decoded
		if !ch.New.IsZero() && isFile(ch.NewKind) {
			if nd, err = g.decode(ch.Path, m, ch.New); err != nil {
				return err
			}
		}
		if !ch.Old.IsZero() && ch.Old != ch.New && isFile(ch.OldKind) {
			if od, err = g.decode(ch.Path, m, ch.Old); err != nil {
				return err
			}
		}
		b := broke[ch.Path]
		if b != nil && (ch.New.IsZero() || !isFile(ch.NewKind)) {
			// A broken file goes: moved (carried on below) or deleted.
			delete(broke, ch.Path)
			pending = append(pending, removal{b, ch.Path, ch.Old, answer})
			continue
		}
		if !ch.New.IsZero() && !nd.ok {
			// A version that does not decode is not a deletion: the
			// manifest is followed as broken until a version decodes
			// again or the file goes, and the last agent that wrote it
			// meanwhile answers for what it then says.
			if b == nil && !od.ok && ch.Old.IsZero() {
				arrivals = append(arrivals, brokenArrival{ch.Path, ch.New, nd.status, answer, actor.Type == "agent"})
				continue
			}
			next := &broken{}
			switch {
			case b != nil:
				*next = *b
			case od.ok:
				next.key = od.key
			}
			next.status = nd.status
			if answer && actor.Type == "agent" {
				next.agent, next.commit = actor, c
			}
			broke[ch.Path] = next
			continue
		}
		if nd.ok {
			added[nd.key] = append(added[nd.key], addition{&ver{path: ch.Path, state: nd.state, blob: ch.New}, answer})
			if _, ok := answers[nd.key]; !ok || answer {
				answers[nd.key] = answer
			}
			if ch.Old.IsZero() && b == nil {
				fresh = append(fresh, nd.key)
			}
		}
		oldKey, oldKnown := od.key, od.ok
		if b != nil {
			delete(broke, ch.Path)
			if b.key != (key{}) && !od.ok {
				oldKey, oldKnown = b.key, true
			}
			if nd.ok {
				healed[nd.key] = b // whatever key it mends into
			}
		}
		if oldKnown && (ch.New.IsZero() || oldKey != nd.key) {
			removed[oldKey] = &ver{path: ch.Path, blob: ch.Old}
			if _, ok := answers[oldKey]; !ok {
				answers[oldKey] = answer
			}
		}
	}
	// Where did the broken files go? A file that still does not decode at a
	// new path carries the taint of the one it moved from (the same bytes,
	// else an agent's among those removed); a key that decodes at a new
	// path, and that no other path of this commit held (not an ordinary
	// rename), is a moved broken file mended.
	carried := map[int]bool{} // pending files that went to a new path
	mended := map[int]bool{}  // ... and decode there
	pick := func(blob repo.Hash) int {
		best := -1
		for i, p := range pending {
			switch {
			case carried[i]:
			case p.blob == blob:
				return i
			case best < 0, pending[best].b.commit == nil && p.b.commit != nil:
				best = i
			}
		}
		return best
	}
	for _, a := range arrivals {
		next := &broken{status: a.status}
		if i := pick(a.blob); i >= 0 {
			carried[i] = true
			*next = *pending[i].b
			next.status = a.status
		}
		if a.answer && a.agent {
			next.agent, next.commit = actor, c
		}
		broke[a.path] = next
	}
	for _, k := range fresh {
		if _, ok := healed[k]; ok {
			continue
		}
		if _, renamed := removed[k]; renamed {
			continue
		}
		if i := pick(repo.ZeroHash); i >= 0 {
			carried[i], mended[i] = true, true
			healed[k] = pending[i].b
		}
	}
	for i, p := range pending {
		b := p.b
		if carried[i] && !mended[i] {
			continue // moved as it was, still broken: it lives on there
		}
		if b.key == (key{}) {
			continue // it never decoded: nothing to delete
		}
		if _, ok := added[b.key]; ok {
			continue // mended into its own kind and id, or added again
		}
		removed[b.key] = &ver{path: p.path, blob: p.blob}
		if _, ok := answers[b.key]; !ok {
			answers[b.key] = p.answer
		}
	}
	g.taints[c.ID] = broke
	// Where a removed kind and id went: the same file with another
	// identity, or the same bytes at another path (a rename).
	addedAt, addedBlob := map[string]key{}, map[repo.Hash]key{}
	for k, adds := range added {
		for _, a := range adds {
			addedAt[a.v.path] = k
			addedBlob[a.v.blob] = k
		}
	}
	delta := map[key]*ver{}
	for _, k := range sortedKeys(added, removed) {
		prev, err := g.before(c, k)
		if err != nil {
			return err
		}
		if adds, ok := added[k]; ok {
			// Every version with the key is judged: a second file with
			// the same kind and id in one commit smuggles nothing.
			for _, a := range adds {
				if !a.answer {
					continue
				}
				if h := healed[k]; h != nil && h.commit != nil && actor.Type != "agent" {
					// An agent's version that did not decode, made whole
					// by a person: the agent answers for the status its
					// broken bytes said (for all, when unreadable), the
					// person for the rest.
					if h.status == "" || h.status == a.v.state {
						g.step(h.commit, h.agent, k, prev, a.v)
						continue
					}
					mid := &ver{path: a.v.path, state: h.status, blob: a.v.blob}
					g.step(h.commit, h.agent, k, prev, mid)
					g.step(c, actor, k, mid, a.v)
					continue
				}
				g.step(c, actor, k, prev, a.v)
			}
			delta[k] = adds[len(adds)-1].v
			continue
		}
		delta[k] = nil
		if rm := removed[k]; rm != nil {
			into, ok := addedAt[rm.path]
			if !ok {
				into = addedBlob[rm.blob]
			}
			g.removals[k] = keyRemoval{commit: c, path: rm.path, into: into}
		}
		if answers[k] && prev != nil {
			g.deleted(c, k, prev)
		}
	}
	g.deltas[c.ID] = delta
	// Only now: what this commit answers for is judged from what came
	// before it, never from itself.
	for _, ch := range mine {
		if g.answered[ch.Path] == nil {
			g.answered[ch.Path] = map[repo.Hash]bool{}
		}
		g.answered[ch.Path][ch.New] = true
	}
	return nil
}

func sortedKeys[A any](added map[key]A, removed map[key]*ver) []key {
	var ks []key
	for k := range added {
		ks = append(ks, k)
	}
	for k := range removed {
		if _, ok := added[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b key) int { return strings.Compare(a[0]+"/"+a[1]+"@"+a[2], b[0]+"/"+b[1]+"@"+b[2]) })
	return ks
}

// boundary refuses what an agent's commit may not change.
func (g *gate) boundary(c *repo.Commit, actor lineage.Actor, ch repo.PathChange) {
	what := ""
	switch {
	case ch.NewKind == repo.Symlink || ch.OldKind == repo.Symlink:
		what = "a symbolic link"
	case ch.NewKind == repo.Submodule || ch.OldKind == repo.Submodule:
		what = "a submodule"
	case !g.pol.AgentMayChange(ch.Path):
		what = fmt.Sprintf("a path outside what agents may change (%s)", g.pol.AgentScope())
	case isFile(ch.NewKind):
		// A path agents may change as an asset: its content must be one.
		bad, err := g.pol.agentAsset(g.r, ch.Path, ch.New)
		switch {
		case err != nil:
			what = fmt.Sprintf("an asset small cannot read (%v)", err)
		case bad != "":
			what = bad + ", where agents may add only the assets of manifests"
		default:
			return
		}
	default:
		return
	}
	g.ds = append(g.ds, diag.Diagnostic{File: ch.Path, Code: diag.CodeAgentBoundary, Severity: diag.Error,
		Message: fmt.Sprintf("commit %s by agent %s changes %s: agents act only through manifests; a human must make this change",
			c.ID.Short(), actor.Name, what)})
}

// signed reports whether a listed human signer signed commit c (good
// signature, key valid now). Without humanSigners nobody is listed.
func (g *gate) signed(c *repo.Commit) bool {
	if g.pol.Signers == nil {
		return false
	}
	if v, ok := g.signedBy[c.ID]; ok {
		return v
	}
	payload, sig, err := g.r.Signature(c.ID)
	ok := err == nil && sig != nil
	if ok {
		_, err = g.pol.Signers.Verify(payload, sig, "git", time.Now())
		ok = err == nil
	}
	g.signedBy[c.ID] = ok
	return ok
}

// finding places a lifecycle finding at the manifest's status in the head
// when the head has the file, else at the file.
func (g *gate) finding(p, code, msg string) {
	d := diag.Diagnostic{File: p, Path: protocol.FieldStatus, Code: code, Severity: diag.Error, Message: msg}
	if m, ok := g.at[p]; ok {
		d.Line, d.Column = m.StatusLine, m.StatusColumn
	}
	g.ds = append(g.ds, d)
}

func by(c *repo.Commit, a lineage.Actor) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf(" at commit %s by %s %s", c.ID.Short(), a.Type, a.Name)
}

// step judges a new version of a manifest against the one before it.
func (g *gate) step(c *repo.Commit, actor lineage.Actor, k key, prev, cur *ver) {
	lc := g.pol.Lifecycle(k[0])
	agent := c != nil && actor.Type == "agent"
	name := protocol.EntryName(k[0], k[1], k[2])
	if !lc.Has(cur.state) {
		if hl := g.pol.headLifecycle(k[0]); hl != nil && hl.Has(cur.state) {
			// A state the change adds to the lifecycle: a person may use
			// it at once; for an agent it exists once a person merged it.
			if agent {
				g.finding(cur.path, diag.CodeStateUnknown, fmt.Sprintf("%q is not a state of %s in the base's lifecycle%s: a state the change adds is an agent's to enter once a person has merged it",
					cur.state, k[0], by(c, actor)))
			}
			return
		}
		if m, ok := g.at[cur.path]; !ok || c != nil && g.r.FileAt(g.ch.Head.Tree, cur.path) != cur.blob || m.Kind != k[0] {
			g.finding(cur.path, diag.CodeStateUnknown, fmt.Sprintf("%q is not a state of %s%s: expected one of %s",
				cur.state, k[0], by(c, actor), strings.Join(lc.States, ", ")))
		}
		return // the head's version is reported by validation
	}
	if prev == nil || !lc.Has(prev.state) {
		if lc.Path(cur.state) == nil {
			g.finding(cur.path, diag.CodeTransition, fmt.Sprintf("a new %s starts in %q, and %q cannot be reached from it: expected one of %s",
				k[0], lc.Initial, cur.state, strings.Join(reachable(lc), ", ")))
			return
		}
		way, ok := lc.ShortestPath(lc.Initial, cur.state)
		if !ok {
			if agent {
				g.finding(cur.path, diag.CodeTransition, fmt.Sprintf("a new %s starts in %q%s, and more than one way leads from there to %q, so which states it passed is unknown: make one step per commit",
					name, lc.Initial, by(c, actor), cur.state))
			}
			return
		}
		if !agent {
			g.unsigned(c, k, cur, way)
		}
		if agent {
			for _, s := range way {
				if lc.HumanOnlyState(s) {
					g.finding(cur.path, diag.CodeHumanOnly, fmt.Sprintf("a new %s in %q passes through %q, which only a human may enter, and commit %s that made it is by agent %s: a human must make this change",
						name, cur.state, s, c.ID.Short(), actor.Name))
					break
				}
			}
		}
		return
	}
	if prev.state == cur.state {
		if agent && prev.blob != cur.blob && lc.FrozenState(cur.state) {
			g.frozen = append(g.frozen, frozenEdit{k: k, v: cur, commit: c, actor: actor})
		}
		return
	}
	way, ok := lc.ShortestPath(prev.state, cur.state)
	if c != nil {
		st := Step{Commit: c, Actor: actor, Kind: k[0], ID: k[1], Locale: k[2], Path: cur.path, From: prev.state, To: cur.state, Allowed: ok, Seq: g.seq}
		if ok && len(way) > 2 {
			st.Via = way[1 : len(way)-1]
		}
		g.steps = append(g.steps, st)
	}
	if !ok {
		msg := fmt.Sprintf("%q -> %q is not an allowed transition%s: from %s, %s", prev.state, cur.state, by(c, actor), prev.state, nextStates(lc, prev.state))
		if lc.Path(cur.state) != nil && lc.Reaches(prev.state, cur.state) {
			msg += "; more than one way leads there, so which states it passed is unknown: make one step per commit"
		}
		g.finding(cur.path, diag.CodeTransition, msg)
		return
	}
	if !agent {
		g.unsigned(c, k, cur, way)
		return
	}
	for _, s := range way[1:] {
		if !lc.HumanOnlyState(s) {
			continue
		}
		msg := fmt.Sprintf("%q -> %q: only a human may move %s into %q, and commit %s that made this change is by agent %s: a human must make this change",
			prev.state, cur.state, name, s, c.ID.Short(), actor.Name)
		if len(way) > 2 {
			msg = fmt.Sprintf("%q -> %q passes through %s in one commit: only a human may move %s into %q, and commit %s that made this change is by agent %s: a human must make this change",
				prev.state, cur.state, strings.Join(way[1:len(way)-1], ", "), name, s, c.ID.Short(), actor.Name)
		}
		g.finding(cur.path, diag.CodeHumanOnly, msg)
		return
	}
}

// unsigned refuses a person's commit that enters a human-only state
// without the signature humanSigners requires.
func (g *gate) unsigned(c *repo.Commit, k key, cur *ver, way []string) {
	if c == nil || g.pol.Signers == nil {
		return
	}
	lc := g.pol.Lifecycle(k[0])
	for _, s := range way[1:] {
		if lc.HumanOnlyState(s) && !g.signed(c) {
			g.finding(cur.path, diag.CodeHumanOnly, fmt.Sprintf("commit %s moves %s into %q, which only a human may enter, and is not signed by a key small.cue's humanSigners (%s) lists: sign it (git commit -S)",
				c.ID.Short(), protocol.EntryName(k[0], k[1], k[2]), s, g.pol.Config.HumanSigners))
			return
		}
	}
}

// deleted judges the deletion of a manifest.
func (g *gate) deleted(c *repo.Commit, k key, prev *ver) {
	lc := g.pol.Lifecycle(k[0])
	if !lc.Has(prev.state) || lc.CanDelete(prev.state) {
		return
	}
	where := ""
	if c != nil {
		where = " by commit " + c.ID.Short()
	}
	g.ds = append(g.ds, diag.Diagnostic{File: prev.path, Path: protocol.FieldStatus, Code: diag.CodeDelete, Severity: diag.Error,
		Message: fmt.Sprintf("deleted in state %q%s: %s manifests may be deleted only from %s (from %s, %s)",
			prev.state, where, k[0], strings.Join(lc.Deletable, ", "), prev.state, nextStates(lc, prev.state))})
}

// settleFrozen keeps the frozen edits whose manifest the change leaves in a
// state an agent may not enter.
func (g *gate) settleFrozen() error {
	for _, f := range g.frozen {
		lc := g.pol.Lifecycle(f.k[0])
		end, err := g.lookup(g.ch.Head.ID, f.k)
		if err != nil {
			return err
		}
		if end != nil && lc.Has(end.state) && !lc.FrozenState(end.state) && !lc.HumanOnlyState(end.state) {
			continue
		}
		g.finding(f.v.path, diag.CodeFrozen, fmt.Sprintf("commit %s by agent %s changes the content of %s in %q, whose content only a human may change: a human must make this change",
			f.commit.ID.Short(), f.actor.Name, protocol.EntryName(f.k[0], f.k[1], f.k[2]), f.v.state))
	}
	return nil
}

// workingTree compares the working tree's manifests with the base's: the
// rules that need no actor.
func (g *gate) workingTree() error {
	if g.ch.Result.Schema == nil {
		return nil // the schemas do not compile: nothing was read to compare
	}
	base, err := g.statesAt(g.ch.Base.ID)
	if err != nil {
		return err
	}
	present := map[string]bool{}
	seen := map[key]bool{}
	for _, m := range g.ch.Result.Manifests {
		present[m.Path] = true
		if m.Kind == "" {
			continue
		}
		k := key{m.Kind, m.ID, m.Locale}
		seen[k] = true
		g.step(nil, lineage.Actor{}, k, base[k], &ver{path: m.Path, state: m.State})
	}
	if len(g.ch.Paths) > 0 && g.ch.Tree != nil {
		// Validation read only the paths asked about; a manifest moved out
		// of them is still there.
		files, err := g.ch.Tree.Files(g.root)
		if err != nil {
			return err
		}
		lim := g.pol.Config.ManifestLimits()
		for _, f := range files {
			m, ok := g.match(f.Path)
			if !ok || present[f.Path] {
				continue
			}
			present[f.Path] = true
			data, err := g.ch.Tree.Read(f.Path, lim.MaxBytes)
			if err != nil {
				continue
			}
			if _, id, err := decodeManifest(f.Path, m, data, lim); err == nil {
				seen[key{id.Kind, id.ID, id.Locale}] = true
			}
		}
	}
	for k, v := range base {
		if !seen[k] && !present[v.path] {
			g.deleted(nil, k, v)
		}
	}
	return nil
}

// finish narrows the findings to the paths asked about, and sorts them.
func (g *gate) finish(err error) error {
	if err != nil {
		return err
	}
	ds := g.ds[:0]
	for _, d := range g.ds {
		if inPaths(d.File, g.ch.Paths) {
			ds = append(ds, d)
		}
	}
	diag.Sort(ds)
	g.ds = slices.Compact(ds)
	return nil
}

func inPaths(p string, paths []string) bool {
	if len(paths) == 0 {
		return true
	}
	for _, q := range paths {
		q = path.Clean(q)
		if p == q || q == "." || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}
