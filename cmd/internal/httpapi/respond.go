package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/smallhq/small/audit"
	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/schema"
)

// Content types of the answers.
const (
	typeJSON       = "application/json"
	typeJSONSchema = "application/schema+json"
)

// RetryAfter is the Retry-After, in seconds, of a 503: the server is
// refusing evaluations while too many that ran over the limits still run.
const RetryAfter = 5

// CommitHeader names, on every answer read from the repository, the commit
// HEAD was at: the state the answer describes.
const CommitHeader = "Small-Commit"

// encode is v as the commands print it with --format json: indented, no
// HTML escaping, a final newline.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := cmdutil.WriteJSON(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// send writes an answer.
func send(w http.ResponseWriter, status int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// sendJSON writes v as JSON, or a 500 when it cannot be encoded.
func sendJSON(w http.ResponseWriter, status int, v any) {
	b, err := encode(v)
	if err != nil {
		fail(w, http.StatusInternalServerError, "encode the answer: %v", err)
		return
	}
	send(w, status, typeJSON, b)
}

// fail answers with small/v1's failure object, as --format json prints it
// when a command fails: the exit code the matching command would end with
// (2 for what the client sent), the message and any diagnostics.
func fail(w http.ResponseWriter, status int, format string, args ...any) {
	failWith(w, status, diag.Failure{Protocol: protocol.Version, Error: diag.FailureError{ExitCode: cmdutil.ExitUsage, Message: fmt.Sprintf(format, args...)}})
}

func failWith(w http.ResponseWriter, status int, f diag.Failure) {
	b, err := encode(f)
	if err != nil {
		b = []byte(`{"protocol":"small/v1","error":{"exitCode":2,"message":"internal error"}}` + "\n")
	}
	send(w, status, typeJSON, b)
}

// failErr answers a domain failure: its exit code as cmdutil.Classify gives
// it, and the HTTP status its type means (see statusOf).
func failErr(w http.ResponseWriter, err error) {
	code := cmdutil.ExitUsage
	var ee *cmdutil.ExitError
	if errors.As(cmdutil.Classify(err), &ee) {
		code = ee.Code
	}
	var se *schema.Error
	if errors.As(err, &se) {
		code = cmdutil.ExitFindings // as small schema list says schemas that do not compile
	}
	var busy *busyError
	if errors.As(err, &busy) {
		w.Header().Set("Retry-After", fmt.Sprint(RetryAfter))
	}
	f := diag.Failure{Protocol: protocol.Version, Error: diag.FailureError{ExitCode: code, Message: err.Error(), Diagnostics: diagnosticsOf(err)}}
	failWith(w, statusOf(err, code), f)
}

// statusOf is the HTTP status of a domain failure: 404 for what names
// nothing (a kind, an artifact, a build), 400 for what the client sent
// wrong (a manifest path, a filter, a revision), 409 for the repository's
// state (no commit, schemas or small.cue that do not load, history this
// clone lacks), 500 for the rest.
func statusOf(err error, code int) int {
	var (
		unknownKind *schema.UnknownKindError
		notFound    *lineage.NotFoundError
		notArtifact *lineage.NotAnArtifactError
		retracted   *lineage.RetractedError
		filter      *builder.FilterError
		pathErr     *content.ProposalPathError
		since       *audit.SinceError
		ce          *config.Error
		se          *schema.Error
		export      *schema.ExportError
		noHead      *noCommitError
		busy        *busyError
	)
	switch {
	case errors.As(err, &busy):
		return http.StatusServiceUnavailable
	case errors.As(err, &noHead):
		return http.StatusConflict
	case errors.As(err, &unknownKind), errors.As(err, &notFound), errors.As(err, &retracted), errors.Is(err, lineage.ErrNoBuild):
		return http.StatusNotFound
	case errors.As(err, &notArtifact), errors.As(err, &filter), errors.As(err, &pathErr), errors.As(err, &since), cmdutil.BadRevision(err):
		return http.StatusBadRequest
	case errors.As(err, &ce), errors.As(err, &se), errors.As(err, &export), errors.As(err, &noHead), code == cmdutil.ExitRepo:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// diagnosticsOf are the findings an error carries, if it carries any.
func diagnosticsOf(err error) []diag.Diagnostic { return cmdutil.Diagnostics(err) }

// noCommitError is a repository whose HEAD names no commit yet.
type noCommitError struct{ err error }

func (e *noCommitError) Error() string {
	return "HEAD names no commit: small serve answers from the commit HEAD is at (commit something first): " + e.err.Error()
}

func (e *noCommitError) Unwrap() error { return e.err }
