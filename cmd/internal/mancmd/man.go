// Package mancmd implements small man: write the manual pages, small(1),
// one per command, and git-small(1), generated from the commands' help.
package mancmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/version"
)

// NewCmdMan returns the man command; root is the command tree to document.
func NewCmdMan(f *cmdutil.Factory, root func() *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "man <dir>",
		Short: "Write the manual pages (small(1), one per command, git-small(1)) into a directory",
		Long: `Write the manual pages of small into dir, generated from the commands'
help: small.1, one small-<command>.1 per command, and git-small.1, which
git shows for git small --help. make install writes them next to the
binary's directory (share/man/man1), where man finds them.`,
		Example: `  $ small man ~/.local/share/man/man1
  $ man small-build`,
		Args: cmdutil.ExactArgs(1, "a directory to write the pages into"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			header := &doc.GenManHeader{Title: "SMALL", Section: "1", Source: "small " + version.Current(), Manual: "small manual"}
			tree := root()
			tree.DisableAutoGenTag = true
			literal(tree)
			if err := doc.GenManTree(tree, header, dir); err != nil {
				return fmt.Errorf("write the manual pages: %w", err)
			}
			// git small --help asks man for git-small: the same page as small's.
			page, err := os.ReadFile(filepath.Join(dir, "small.1"))
			if err != nil {
				return err
			}
			gitPage := bytes.Replace(page, []byte(`.TH "SMALL"`), []byte(`.TH "GIT-SMALL"`), 1)
			gitPage = bytes.Replace(gitPage, []byte(".SH NAME\nsmall - "), []byte(".SH NAME\ngit-small - "), 1)
			if err := os.WriteFile(filepath.Join(dir, "git-small.1"), gitPage, 0o644); err != nil {
				return err
			}
			entries, _ := os.ReadDir(dir)
			n := 0
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".1") {
					n++
				}
			}
			fmt.Fprintf(f.IO.Out, "wrote %d manual pages into %s\n", n, dir)
			return nil
		},
	}
}

// markdown are the characters go-md2man would read as markup in help text
// (<kind> as a tag, * and _ as emphasis): the pages show them as typed.
var markdown = strings.NewReplacer(`\`, `\\`, "<", `\<`, ">", `\>`, "*", `\*`, "_", `\_`, "`", "\\`")

// literal escapes the help texts of a command tree for go-md2man.
func literal(c *cobra.Command) {
	c.Long = markdown.Replace(c.Long)
	c.Example = markdown.Replace(c.Example)
	for _, sub := range c.Commands() {
		literal(sub)
	}
}
