package config

import (
	"regexp"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// ArtifactRef is the full ref of the artifact branch that small.cue in s
// names, or small's default when s has no usable small.cue: queries of
// builds still work from a checkout whose configuration is broken.
//
// Every query of the history asks this first, and evaluating small.cue
// against its schema costs milliseconds (more than the answer of small
// lineage): where the file names the branch as a plain string, or does
// not name one, its syntax says which branch it is, and nothing is
// evaluated. Anything else (a branch computed, a field declared twice,
// an embedding, a comprehension) is evaluated.
func ArtifactRef(s repo.Snapshot) string {
	if data, err := s.Read(protocol.ConfigFile, 1<<20); err == nil {
		if branch, ok := plainBranch(data); ok {
			return protocol.BranchRef(branch)
		}
	}
	if cfg, err := Load(s); err == nil {
		return protocol.BranchRef(cfg.Artifacts.Branch)
	}
	return protocol.BranchRef(protocol.DefaultArtifactBranch)
}

// branchName is #Branch of schema.cue.
var branchName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`) })

func validBranch(b string) bool {
	return branchName().MatchString(b) && !strings.Contains(b, "..") && !strings.HasSuffix(b, ".lock") && !strings.HasPrefix(b, "refs/")
}

// plainBranch reads artifacts.branch from small.cue's syntax alone: ok
// when the file declares it once as a string literal that #Branch accepts,
// or not at all (the default); not ok when only an evaluation can tell.
func plainBranch(src []byte) (string, bool) {
	f, err := parser.ParseFile(protocol.ConfigFile, src)
	if err != nil {
		return "", false
	}
	artifacts, ok := onlyField(f.Decls, "artifacts")
	if !ok {
		return "", false
	}
	if artifacts == nil {
		return protocol.DefaultArtifactBranch, true
	}
	st, isStruct := artifacts.Value.(*ast.StructLit)
	if !isStruct {
		return "", false
	}
	branch, ok := onlyField(st.Elts, "branch")
	if !ok {
		return "", false
	}
	if branch == nil {
		return protocol.DefaultArtifactBranch, true
	}
	lit, isLit := branch.Value.(*ast.BasicLit)
	if !isLit || lit.Kind != token.STRING {
		return "", false
	}
	b, err := literal.Unquote(lit.Value)
	if err != nil || !validBranch(b) {
		return "", false
	}
	return b, true
}

// onlyField finds the field named name among a struct's declarations:
// nil when there is none; not ok when the declarations hold anything but
// plain fields (an embedding, a comprehension, a let, an alias or an
// optional or required field could contribute to it), or name twice.
func onlyField(decls []ast.Decl, name string) (*ast.Field, bool) {
	var found *ast.Field
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.CommentGroup, *ast.Attribute, *ast.Package:
			continue
		case *ast.Field:
			if d.Constraint != token.ILLEGAL {
				return nil, false
			}
			label, _, err := ast.LabelName(d.Label)
			if err != nil {
				return nil, false
			}
			if _, plain := d.Label.(*ast.Ident); !plain {
				if _, quoted := d.Label.(*ast.BasicLit); !quoted {
					return nil, false
				}
			}
			if label != name {
				continue
			}
			if found != nil {
				return nil, false
			}
			found = d
		default:
			return nil, false
		}
	}
	return found, true
}
