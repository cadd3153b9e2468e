package stcnn

// ReadVariablesAtEachCall lets the external tests build their graphs as the
// package does.
var ReadVariablesAtEachCall = readVariablesAtEachCall
