package login_test

import (
	"strings"
	"testing"

	"qrlab/model/homeserver"
	. "qrlab/model/login"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestBackupConnection covers spec §6 step 7: the new device compares the
// homeserver's current backup version with the backup in m.login.secrets. A
// backup that does not connect is reported and never fails the login.
func TestBackupConnection(t *testing.T) {
	onBackup := func(resp Response) func(r Request, out Response) Response {
		return func(r Request, out Response) Response {
			if r.Path == homeserver.PathRoomKeysVersion {
				return resp
			}
			return out
		}
	}
	cases := []struct {
		name     string
		preset   string
		intent   qr.Intent
		o        worldOpts
		u        user
		want     BackupStatus
		requests int // GET room_keys/version seen by the homeserver model
	}{
		{"connected", "msc4388", qr.Login, worldOpts{Backup: true}, user{}, BackupConnected, 1},
		{"connected (2024 texts)", "msc4108-2024", qr.Reciprocate, worldOpts{Backup: true}, user{}, BackupConnected, 1},
		{"no backup in the secrets", "msc4388", qr.Login, worldOpts{}, user{}, BackupNone, 0},
		{"key mismatch", "msc4388", qr.Reciprocate,
			worldOpts{Backup: true, EEdit: func(c *ExistingDeviceConfig) { c.Secrets.Backup.Key[0] ^= 0x40 }},
			user{}, BackupKeyMismatch, 1},
		{"version mismatch", "msc4388", qr.Login,
			worldOpts{Backup: true, EEdit: func(c *ExistingDeviceConfig) { c.Secrets.Backup.Version = "7" }},
			user{}, BackupVersionMismatch, 1},
		{"no current backup on the homeserver", "msc4388", qr.Login, worldOpts{Backup: true},
			user{RewriteHS: onBackup(Response{Status: 404, Body: []byte(`{"errcode":"M_NOT_FOUND","error":"No current backup version"}`)})},
			BackupMissing, 1},
		{"another algorithm", "msc4388", qr.Login, worldOpts{Backup: true},
			user{RewriteHS: onBackup(Response{Status: 200, Body: []byte(`{"algorithm":"org.example.other","auth_data":{"public_key":"AAAA"},"version":"1"}`)})},
			BackupUnusable, 1},
		{"server error after every retry", "msc4388", qr.Login, worldOpts{Backup: true},
			user{RewriteHS: onBackup(Response{Status: 500, Body: []byte(`{}`)})}, BackupUnusable, 3},
		{"answer lost after every retry", "msc4388", qr.Login, worldOpts{Backup: true},
			user{LoseResponse: func(r Request) bool { return r.Path == homeserver.PathRoomKeysVersion }}, BackupUnusable, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Seed = 3
			w := runPreset(t, tc.preset, tc.intent, tc.o, tc.u)
			no, _ := succeeded(t, w)
			if got := w.N.Facts().Backup; got != tc.want {
				t.Fatalf("backup %s, want %s (detail %q)\n%s", got, tc.want, no.Detail, w.Log())
			}
			if n := strings.Count(w.Log(), "GET "+homeserver.PathRoomKeysVersion); n != tc.requests {
				t.Fatalf("%d backup version requests, want %d\n%s", n, tc.requests, w.Log())
			}
			if tc.want != BackupNone && !strings.HasPrefix(no.Detail, "backup") {
				t.Fatalf("outcome detail %q does not report the backup", no.Detail)
			}
		})
	}
}

// TestWhoamiCheck ends the login when whoami names another device than the
// one N asked for, or another account than the one it expects; m.login.failure
// goes out while E still reads the mailbox.
func TestWhoamiCheck(t *testing.T) {
	otherDevice := func(r Request, out Response) Response {
		if r.Path == homeserver.PathWhoami && out.Status == 200 {
			out.Body = []byte(`{"user_id":"` + aliceID + `","device_id":"OTHERDEVICE","is_guest":false}`)
		}
		return out
	}
	expect := func(id string) func(*NewDeviceConfig) { return func(c *NewDeviceConfig) { c.ExpectedUserID = id } }
	cases := []struct {
		endCase
		detail string // in N's outcome
	}{
		{endCase{"another device_id before m.login.success", "msc4388", qr.Reciprocate, worldOpts{}, user{RewriteHS: otherDevice},
			"failure whoami_mismatch (sent)", "failure user_cancelled (peer)"}, `device_id "OTHERDEVICE"`},
		{endCase{"another device_id, N is G", "msc4388", qr.Login, worldOpts{}, user{RewriteHS: otherDevice},
			"failure whoami_mismatch (sent)", "failure user_cancelled (peer)"}, `device_id "OTHERDEVICE"`},
		// Without whoami before m.login.success, N calls it after the secrets
		// came: E has already ended, so only N learns of the mismatch.
		{endCase{"another device_id after m.login.secrets", "msc4108-2024", qr.Reciprocate,
			worldOpts{VEdit: func(v *variant.Variant) { v.Flow.Whoami = false },
				HSEdit: func(c *homeserver.Config) { c.DeviceOnIssue = true }},
			user{RewriteHS: otherDevice}, "failure whoami_mismatch (sent)", "success"}, `device_id "OTHERDEVICE"`},
		{endCase{"another account than expected", "msc4388", qr.Reciprocate, worldOpts{NEdit: expect("@bob:lab.example")}, user{},
			"failure whoami_mismatch (sent)", "failure user_cancelled (peer)"}, `user_id "` + aliceID + `"`},
		{endCase{"the expected account", "msc4388", qr.Login, worldOpts{NEdit: expect(aliceID)}, user{}, "success", "success"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Seed = 5
			w := tc.run(t)
			no := w.N.Outcome()
			if !strings.Contains(no.Detail, tc.detail) {
				t.Fatalf("N detail %q lacks %q", no.Detail, tc.detail)
			}
			if tc.wantN != "success" && w.HS.CrossSigned(aliceID, no.DeviceID) {
				t.Fatal("the device was cross-signed despite the mismatch")
			}
		})
	}
}
