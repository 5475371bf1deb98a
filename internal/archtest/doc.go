// Package archtest holds the test that keeps small's import graph pointing down the layers of docs/architecture.md.
package archtest
