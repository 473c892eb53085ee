// The body of typedmemmove (typedcopy.go) is the runtime's: a package
// with an assembly file may declare a function without a body.
