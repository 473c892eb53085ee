package homeserver

import (
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// keysQuery answers POST /keys/query for the device_keys of the body
// ({"device_keys": {user: [device, ...]}}; an empty list means every
// device): each device's keys as uploaded, signatures included. Users and
// devices with no keys are left out, as the client-server API has it.
func (h *Server) keysQuery(body []byte) Response {
	v, err := canonicaljson.Parse(body)
	if err != nil {
		return matrixError(400, ErrcodeNotJSON, "Body: "+err.Error())
	}
	want, ok := v.Get("device_keys")
	if v.Kind != canonicaljson.Object || !ok || want.Kind != canonicaljson.Object {
		return matrixError(400, ErrcodeBadJSON, "device_keys: must be an object.")
	}
	users := canonicaljson.Value{Kind: canonicaljson.Object}
	for _, m := range want.Obj {
		if m.Value.Kind != canonicaljson.Array {
			return matrixError(400, ErrcodeBadJSON, "device_keys["+m.Key+"]: must be a list of device IDs.")
		}
		a := h.accounts[m.Key]
		if a == nil {
			continue
		}
		ids := a.order
		if len(m.Value.Arr) > 0 {
			ids = ids[:0:0]
			for _, id := range m.Value.Arr {
				if id.Kind != canonicaljson.String {
					return matrixError(400, ErrcodeBadJSON, "device_keys["+m.Key+"]: must be a list of device IDs.")
				}
				ids = append(ids, id.Str)
			}
		}
		devs := canonicaljson.Value{Kind: canonicaljson.Object}
		for _, id := range ids {
			if d := a.devices[id]; d != nil && d.keys != nil {
				devs.Obj = append(devs.Obj, canonicaljson.Member{Key: id, Value: *d.keys})
			}
		}
		if len(devs.Obj) > 0 {
			users.Obj = append(users.Obj, canonicaljson.Member{Key: m.Key, Value: devs})
		}
	}
	out := canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{
		{Key: "device_keys", Value: users},
		{Key: "failures", Value: canonicaljson.Value{Kind: canonicaljson.Object}},
	}}
	return Response{Status: 200, Header: wire.JSONHeader(), Body: canonicaljson.Append(nil, &out)}
}
