// Command small is a Git-backed content repository tool.
package main

import (
	"os"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/root"
)

func main() {
	os.Exit(root.Main(os.Args[1:], cmdutil.System()))
}
