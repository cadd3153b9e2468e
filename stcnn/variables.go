package stcnn

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// readVariablesAtEachCall marks g, before it reads any variable of store,
// as a training graph: GoMLX then passes the variables to the compiled
// graph as parameters, read at each execution.
//
// In a graph not so marked, GoMLX (model.Variable's parameter node) embeds
// each variable's value at compile time as a constant whenever the backend
// prefers constants for variables, as the pure-Go backend does since
// github.com/gomlx/compute v0.1.12; the compiled graph then ignores
// Variable.SetValue and restarts every update from the old value. Every
// stcnn graph is compiled once and run while its store changes (training
// steps, evaluation between epochs, Init, checkpoints), so every graph
// function that reads variables calls this first.
func readVariablesAtEachCall(store *model.Store, g *Graph) {
	store.SetTraining(g, true)
}
