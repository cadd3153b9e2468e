package gomlxbackend_test

import (
	"fmt"

	gb "github.com/convexst/stcnn/gomlx_backend"
)

// ExampleChoose shows the choice on a machine without PJRT plugins and
// without GOMLX_BACKEND: the embedded pure-Go backend with its default options.
func ExampleChoose() {
	c, err := gb.Choose(gb.Options{
		LookupEnv: func(string) (string, bool) { return "", false },
		Plugins:   map[string]string{},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c)
	// Output: backend=go device=cpu (no PJRT plugin installed: embedded pure-Go backend)
}
