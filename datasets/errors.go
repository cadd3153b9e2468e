package datasets

import "fmt"

// errorf returns an error of the form "datasets: name: message".
func errorf(name, format string, args ...any) error {
	return fmt.Errorf("datasets: %s: %s", name, fmt.Sprintf(format, args...))
}

// wrapf is like errorf but wraps err, appending ": err" to the message.
func wrapf(err error, name, format string, args ...any) error {
	return fmt.Errorf("datasets: %s: %s: %w", name, fmt.Sprintf(format, args...), err)
}
