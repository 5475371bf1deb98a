// Package verifycmd implements small verify: a yes or no, from the Git data
// alone, on whether the artifact branch's history complies with small/v1.
package verifycmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/audit"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// NewCmdVerify returns the verify command.
func NewCmdVerify(f *cmdutil.Factory) *cobra.Command {
	var format, since string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the artifact branch against small/v1: a yes or no, with evidence",
		Long: `Verify the history of the artifact branch from the Git data alone and
give a binary verdict, clause by clause of the SMALL compliance
requirements:

  schema enforcement    every manifest a build used was valid under the
                        schemas of its commit
  immutable artifacts   every build is reproduced bit for bit (tree,
                        message, commit id) by rebuilding it from its
                        parent and the manifest commit its trailer names
  explicit lineage      every build has its notes, equal to what the
                        rebuild records; every manifest commit is
                        reachable from the default branch
  observable lifecycle  every status change followed the lifecycle in
                        force; every observation (small event) is
                        well-formed, by whom it says, after its build
  agent boundary        the rules of small check held on every commit a
                        build took in, judged under the policy of the
                        build before it
  rollback              every Small-Rollback-Of names a real earlier build

A build made by another version of small is checked for what small/v1
keeps stable across versions (the artifact bytes, the facts in the notes)
and reported, not failed, where only version-specific parts differ.

Every finding names its build, the path and both sides (recorded and
rebuilt). Exit status 0 means compliant, 1 not; with --since only the
builds after REV are verified and REV is trusted. Run it on a schedule in
CI (docs/ci.md): a fresh clone, small pull, small verify.`,
		Example: `  $ small verify
  $ small verify --since small/artifacts~10
  $ small verify --format json | jq '.clauses[] | select(.pass | not)'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			r, err := f.Repository()
			if err != nil {
				return err
			}
			meter := f.IO.StartProgress("verify", format)
			defer meter.Stop()
			rep, err := audit.Verify(r, config.ArtifactRef(r.WorkingTree()), audit.Options{Since: since, Progress: meter.Counter()})
			meter.Stop()
			if err != nil {
				return cmdutil.Classify(err)
			}
			if format == diag.FormatJSON {
				if err := cmdutil.WriteJSON(f.IO.Out, rep); err != nil {
					return err
				}
			} else {
				writeText(f.IO.Out, rep)
			}
			if !rep.Compliant {
				return cmdutil.Findings
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", diag.FormatText, "output `format`: text or json")
	cmd.Flags().StringVar(&since, "since", "", "verify only the builds after this build `REV` (trusted)")
	return cmd
}

// writeText renders the report as a compliance report.
func writeText(w io.Writer, rep *audit.Report) {
	branch := protocol.BranchName(rep.Branch)
	span := "no build"
	if rep.Builds > 0 {
		span = fmt.Sprintf("%s..%s", cmdutil.ShortID(rep.From), cmdutil.ShortID(rep.To))
	}
	fmt.Fprintf(w, "Compliance report for %s: %s (%s), protocol %s, verified by %s\n", branch, plural(rep.Builds, "build"), span, rep.Protocol, rep.Verifier)
	if rep.Since != "" {
		fmt.Fprintf(w, "Builds up to %s are trusted (--since).\n", rep.Since)
	}
	fmt.Fprintln(w)
	for _, c := range rep.Clauses {
		verdict := "pass"
		if !c.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "  %-4s  %s: %s\n", verdict, c.Title, c.Requirement)
		for _, fd := range c.Findings {
			where := ""
			if fd.Build != "" {
				where = "build " + cmdutil.ShortID(fd.Build) + " "
			}
			if fd.Path != "" {
				where += fd.Path + " "
			}
			fmt.Fprintf(w, "        %s%s: %s\n", where, fd.Code, fd.Message)
			// Whole note lines are in --format json; the message names
			// the fields that differ.
			if fd.Recorded != "" && len(fd.Recorded) <= 100 {
				fmt.Fprintf(w, "          recorded: %s\n", fd.Recorded)
			}
			if fd.Rebuilt != "" && len(fd.Rebuilt) <= 100 {
				fmt.Fprintf(w, "          rebuilt:  %s\n", fd.Rebuilt)
			}
		}
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	fmt.Fprintln(w)
	if rep.Compliant {
		what := plural(rep.Builds, "build")
		if rep.Since != "" {
			what += " after " + rep.Since
		}
		fmt.Fprintf(w, "Compliant: %s (%s, %s) complies with %s: %d reproduced bit for bit, %d in their stable parts.\n",
			branch, what, span, rep.Protocol, rep.Exact, rep.Stable)
		return
	}
	failed := 0
	for _, c := range rep.Clauses {
		if !c.Pass {
			failed++
		}
	}
	if failed == 0 {
		fmt.Fprintf(w, "Not verified: this clone lacks history to rebuild %s (see the notes); fetch it (git fetch --unshallow) and run small verify again.\n", plural(max(rep.Unverified, 1), "build"))
		return
	}
	fmt.Fprintf(w, "Not compliant: %s under %d of %d clauses.\n", plural(rep.Findings(), "finding"), failed, len(rep.Clauses))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
