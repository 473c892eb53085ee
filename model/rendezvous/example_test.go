package rendezvous_test

import (
	"fmt"

	"qrlab/model/rendezvous"
)

// A session's life in the 2026 flavour, driven by hand: the clock is an
// argument and the effects say what happened.
func Example() {
	cfg := rendezvous.PresetSequenceToken()
	cfg.Seed = 42
	s, err := rendezvous.New(cfg, 0, nil)
	if err != nil {
		panic(err)
	}
	create := &rendezvous.Request{Method: "POST", Path: rendezvous.StablePrefix, Body: []byte(`{"data":""}`)}
	resp, fx := s.Handle(1000, create)
	fmt.Println(resp.Status, fx[0].Kind, fx[0].Writes)

	id := fx[0].ID
	put := &rendezvous.Request{Method: "PUT", Path: rendezvous.StablePrefix + "/" + id,
		Body: []byte(`{"sequence_token":"1","data":"hello"}`)}
	resp, _ = s.Handle(2000, put)
	fmt.Println(resp.Status, string(resp.Body))

	get := &rendezvous.Request{Method: "GET", Path: rendezvous.StablePrefix + "/" + id}
	resp, _ = s.Handle(3000, get)
	fmt.Println(resp.Status, string(resp.Body))

	for _, e := range s.Sweep(1000 + cfg.TTL) {
		fmt.Println(e.Kind, e.Writes)
	}
	// Output:
	// 200 created 1
	// 200 {"sequence_token":"2"}
	// 200 {"data":"hello","sequence_token":"2","expires_in_ms":118000}
	// expired 2
}
