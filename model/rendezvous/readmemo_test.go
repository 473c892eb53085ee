package rendezvous

import (
	"bytes"
	"testing"

	"qrlab/model/wire"
)

// readMemoAnswers are answers a memo meets one after the other: the same
// answer with another tail (the store's expires_in_ms), a tail that breaks
// the document or names a wanted key again, the same beginning with the
// wanted keys in another order, escaped payloads and tokens, an empty
// payload, malformed bodies, other statuses, an ETag answer.
var readMemoAnswers = []Response{
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","expires_in_ms":1000}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","expires_in_ms":1000}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","expires_in_ms":999}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1"}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1" }  `)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","expires_in_ms":99,}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","data":"REVG"}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","x":"\ud800"}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1"}x`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t12","expires_in_ms":1}`)},
	{Status: 200, Body: []byte(`{"sequence_token":"t1","data":"QUJD","expires_in_ms":1}`)},
	{Status: 200, Body: []byte(`{"sequence_token":"t1","data":"QUJD","expires_in_ms":2}`)},
	{Status: 200, Body: []byte(`{"data":"\u0041BC","sequence_token":"t\"2","expires_in_ms":5}`)},
	{Status: 200, Body: []byte(`{"data":"\u0041BC","sequence_token":"t\"2","expires_in_ms":4}`)},
	{Status: 200, Body: []byte(`{"data":"","sequence_token":"","expires_in_ms":3}`)},
	{Status: 200, Body: []byte(`{"data":"","sequence_token":"","expires_in_ms":2}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","expires_in_ms":1}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","expires_in_ms":1,"sequence_token":"t1"}`)},
	{Status: 200, Body: []byte(`{"data":1,"sequence_token":"t1"}`)},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1"`)},
	{Status: 304, Body: []byte(`{"data":"QUJD","sequence_token":"t1","expires_in_ms":1000}`)},
	{Status: 404, Body: []byte(`{"errcode":"M_NOT_FOUND"}`)},
	{Status: 200, Header: wire.NewHeader("ETag", `"e1"`), Body: []byte("payload")},
	{Status: 200, Body: []byte(`{"data":"QUJD","sequence_token":"t1","expires_in_ms":1000}`)},
}

// checkReadMemo reads resp through m and without, and fails unless the
// payload's bytes, the token and the error agree, and a payload ParseRead
// takes from the answer's own bytes is taken from them through m too.
func checkReadMemo(t *testing.T, c Client, m *ReadMemo, resp Response) {
	t.Helper()
	resp.Body = bytes.Clone(resp.Body) // a fresh answer, as the store makes each
	got, gotTok, gotErr := c.ParseReadMemo(m, &resp)
	want, wantTok, wantErr := c.ParseRead(&resp)
	if !bytes.Equal(got, want) || gotTok != wantTok || (gotErr == nil) != (wantErr == nil) ||
		gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%q: memo %q %q %v, ParseRead %q %q %v", resp.Body, got, gotTok, gotErr, want, wantTok, wantErr)
	}
	if _, aliased := within(resp.Body, want); aliased {
		if _, ok := within(resp.Body, got); !ok {
			t.Fatalf("%q: the payload does not alias the answer given", resp.Body)
		}
	}
}

// TestParseReadMemoAgrees holds ParseReadMemo to ParseRead over the
// answers above, twice over, in both flavours.
func TestParseReadMemoAgrees(t *testing.T) {
	for _, f := range []Flavour{FlavourSequenceToken, FlavourETag} {
		c := NewClient(f)
		var m ReadMemo
		for range 2 {
			for _, resp := range readMemoAnswers {
				checkReadMemo(t, c, &m, resp)
			}
		}
		checkReadMemo(t, c, nil, readMemoAnswers[0])
	}
}

// FuzzReadMemo reads two answers through one memo, the first to set it
// and the second to be read from it when it begins alike.
func FuzzReadMemo(f *testing.F) {
	for i := 0; i+1 < len(readMemoAnswers); i++ {
		f.Add(readMemoAnswers[i].Body, readMemoAnswers[i+1].Body)
	}
	c := NewClient(FlavourSequenceToken)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var m ReadMemo
		checkReadMemo(t, c, &m, Response{Status: 200, Body: a})
		checkReadMemo(t, c, &m, Response{Status: 200, Body: b})
		checkReadMemo(t, c, &m, Response{Status: 200, Body: a})
	})
}
