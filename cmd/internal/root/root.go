// Package root assembles the small command line and maps failures to the
// exit codes of small/v1.
package root

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/buildcmd"
	"github.com/smallhq/small/cmd/internal/checkcmd"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/democmd"
	"github.com/smallhq/small/cmd/internal/doctorcmd"
	"github.com/smallhq/small/cmd/internal/eventcmd"
	"github.com/smallhq/small/cmd/internal/historycmd"
	"github.com/smallhq/small/cmd/internal/hookscmd"
	"github.com/smallhq/small/cmd/internal/initcmd"
	"github.com/smallhq/small/cmd/internal/lineagecmd"
	"github.com/smallhq/small/cmd/internal/logcmd"
	"github.com/smallhq/small/cmd/internal/mancmd"
	"github.com/smallhq/small/cmd/internal/mcpcmd"
	"github.com/smallhq/small/cmd/internal/newcmd"
	"github.com/smallhq/small/cmd/internal/plancmd"
	"github.com/smallhq/small/cmd/internal/proposecmd"
	"github.com/smallhq/small/cmd/internal/protocolcmd"
	"github.com/smallhq/small/cmd/internal/provenancecmd"
	"github.com/smallhq/small/cmd/internal/remotecmd"
	"github.com/smallhq/small/cmd/internal/rollbackcmd"
	"github.com/smallhq/small/cmd/internal/schemacmd"
	"github.com/smallhq/small/cmd/internal/servecmd"
	"github.com/smallhq/small/cmd/internal/showcmd"
	"github.com/smallhq/small/cmd/internal/statuscmd"
	"github.com/smallhq/small/cmd/internal/validatecmd"
	"github.com/smallhq/small/cmd/internal/verifycmd"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/version"
)

// NewCmdRoot returns the small command with all its subcommands.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "small <command> [flags]",
		Short: "Git-backed content repository: schemas, manifests, artifacts, lineage",
		Long: `small makes a Git repository of content legible to people and agents.

Kinds are CUE definitions in schemas/, content entries are YAML or JSON
manifests in manifests/ (or, by small.cue's files rules, the Markdown files
with front matter a site already has), and small checks every manifest
against its kind before anything is built. Everything small records is ordinary Git data.`,
		Example: `  $ small init --example      # set up small.cue, schemas/ and manifests/
  $ small validate             # check every manifest in the working tree
  $ small validate --rev main  # check the manifests committed on main
  $ small demo                 # a guided tour in a throwaway repository`,
		Version:       version.Current(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetVersionTemplate("small {{.Version}} (" + protocol.Version + ")\n")
	cmd.PersistentFlags().StringVarP(&f.Dir, "directory", "C", "", "run as if small was started in `dir`")
	cmd.SetFlagErrorFunc(cmdutil.FlagError)
	cmd.AddCommand(
		initcmd.NewCmdInit(f, nil),
		newcmd.NewCmdNew(f, nil),
		validatecmd.NewCmdValidate(f, nil),
		checkcmd.NewCmdCheck(f),
		plancmd.NewCmdPlan(f),
		proposecmd.NewCmdPropose(f),
		buildcmd.NewCmdBuild(f, nil),
		showcmd.NewCmdShow(f),
		lineagecmd.NewCmdLineage(f),
		logcmd.NewCmdLog(f),
		provenancecmd.NewCmdProvenance(f),
		statuscmd.NewCmdStatus(f),
		historycmd.NewCmdHistory(f),
		verifycmd.NewCmdVerify(f),
		doctorcmd.NewCmdDoctor(f),
		remotecmd.NewCmdPull(f),
		remotecmd.NewCmdPush(f),
		remotecmd.NewCmdSync(f),
		eventcmd.NewCmdEvent(f),
		rollbackcmd.NewCmdRollback(f),
		schemacmd.NewCmdSchema(f),
		hookscmd.NewCmdHooks(f),
		protocolcmd.NewCmdProtocol(f),
		mcpcmd.NewCmdMCP(f),
		servecmd.NewCmdServe(f),
		mancmd.NewCmdMan(f, func() *cobra.Command { return NewCmdRoot(&cmdutil.Factory{IO: f.IO}) }),
		democmd.NewCmdDemo(f, func(dir string, args ...string) int {
			// One stream, so that the tour reads in the order things happen.
			io := &cmdutil.IOStreams{In: f.IO.In, Out: f.IO.Out, ErrOut: f.IO.Out}
			return Main(append([]string{"-C", dir}, args...), io)
		}),
	)
	return cmd
}

// Main runs small with args and returns the exit code.
func Main(args []string, io *cmdutil.IOStreams) int {
	f := &cmdutil.Factory{IO: io}
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	ran, err := cmd.ExecuteC()
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitUsage // whatever cobra itself refuses is usage
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code
		}
	}
	fmt.Fprintf(io.ErrOut, "small: %v\n", err)
	if ran != nil {
		if fl := ran.Flags().Lookup("format"); fl != nil && fl.Value.String() == "json" {
			writeJSONError(io, code, err)
		}
	}
	return code
}

// writeJSONError keeps the promise of --format json, one small/v1 object on
// stdout, when a command fails before it has a report to give.
func writeJSONError(io *cmdutil.IOStreams, code int, err error) {
	f := diag.Failure{Protocol: protocol.Version, Error: diag.FailureError{ExitCode: code, Message: err.Error()}}
	var ce *config.Error
	var se *schema.Error
	switch {
	case errors.As(err, &ce):
		f.Error.Diagnostics = ce.Diagnostics
	case errors.As(err, &se):
		f.Error.Diagnostics = se.Diagnostics
	}
	cmdutil.WriteJSON(io.Out, f)
}
