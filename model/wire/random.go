package wire

import "errors"

// ErrRandom is wrapped by every error a model returns because the random
// stream it was given failed or ran dry. It is one value for every model,
// so a caller tests for it once with errors.Is, whichever model drew.
var ErrRandom = errors.New("random stream failed")
