package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRepoExportsNoGoGitType parses repo's code and fails on a go-git type
// in its exported API: an exported function's or method's signature, an
// exported field, an exported type defined as or aliasing a go-git type, or
// an exported variable or constant of one. Above repo, nothing speaks go-git.
func TestRepoExportsNoGoGitType(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "repo")
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			gogit := map[string]bool{}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(p, "github.com/go-git/") {
					continue
				}
				local := p[strings.LastIndex(p, "/")+1:]
				if imp.Name != nil {
					local = imp.Name.Name
				}
				gogit[local] = true
			}
			check := func(what string, n ast.Node) {
				ast.Inspect(n, func(n ast.Node) bool {
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if id, ok := sel.X.(*ast.Ident); ok && gogit[id.Name] {
							t.Errorf("%s: %s exposes go-git's %s.%s: no go-git type may leave repo (docs/architecture.md)",
								fset.Position(sel.Pos()), what, id.Name, sel.Sel.Name)
						}
					}
					return true
				})
			}
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() || d.Recv != nil && !exportedRecv(d.Recv) {
						continue
					}
					check("func "+d.Name.Name, d.Type)
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						switch s := spec.(type) {
						case *ast.TypeSpec:
							if !s.Name.IsExported() {
								continue
							}
							if st, ok := s.Type.(*ast.StructType); ok {
								for _, fld := range st.Fields.List {
									for _, n := range fld.Names {
										if n.IsExported() {
											check("field "+s.Name.Name+"."+n.Name, fld.Type)
										}
									}
									if len(fld.Names) == 0 { // embedded: its methods are promoted
										check("embedded field of "+s.Name.Name, fld.Type)
									}
								}
								continue
							}
							check("type "+s.Name.Name, s.Type)
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() {
									if s.Type != nil {
										check("var "+n.Name, s.Type)
									}
									for _, v := range s.Values {
										check("var "+n.Name, v)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	x := fl.List[0].Type
	if s, ok := x.(*ast.StarExpr); ok {
		x = s.X
	}
	id, ok := x.(*ast.Ident)
	return ok && id.IsExported()
}
