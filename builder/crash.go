package builder

import (
	"os"
	"syscall"
)

// crashPoint kills the process, as kill -9 would, when the environment
// variable SMALL_TEST_CRASH_AT names this point. The crash-safety tests use
// it to stop a build between any two of its writes.
func crashPoint(name string) {
	if os.Getenv("SMALL_TEST_CRASH_AT") == name {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
