module qrlab

go 1.26.8

require (
	github.com/cloudflare/circl v1.6.5
	github.com/google/gofuzz v1.2.0
	golang.org/x/crypto v0.59.0
	pgregory.net/rapid v1.3.0
)

require golang.org/x/sys v0.50.0 // indirect
