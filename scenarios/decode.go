package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// decodeStrict reads raw into v refusing unknown fields. Its errors speak
// of the file format, never of Go types: an unknown field, however deep,
// is named by its path with the keys valid there, and a value of the wrong
// type is named with the JSON type that was expected. Either carries the
// path of keys (a *lineHint) so that Parse can give the line.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		keys := splitField(te.Field)
		where := ""
		if len(keys) > 0 {
			where = fmt.Sprintf("field %q: ", strings.Join(keys, "."))
		}
		return &lineHint{Keys: keys, Err: fmt.Errorf("%s%s where %s was expected", where, te.Value, typeWord(te.Type))}
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		if keys, known, ok := findUnknown(raw, reflect.TypeOf(v), nil); ok {
			return &lineHint{Keys: keys, Err: fmt.Errorf("unknown field %q (known: %s)", strings.Join(keys, "."), strings.Join(known, ", "))}
		}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON: %v", se)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// splitField splits a decoder's dotted field path into keys.
func splitField(f string) []string {
	if f == "" {
		return nil
	}
	return strings.Split(f, ".")
}

// findUnknown walks raw along type t and returns the path of the first key
// t has no field for, with the keys valid at that place (sorted as the
// type declares them).
func findUnknown(raw []byte, t reflect.Type, path []string) ([]string, []string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, keys, ok := sortedObject(raw)
		if !ok {
			return nil, nil, false
		}
		for _, k := range keys {
			ft, ok := jsonFieldFold(t, k)
			if !ok {
				return append(path, k), jsonFields(t), true
			}
			if p, known, ok := findUnknown(obj[k], ft, append(path, k)); ok {
				return p, known, true
			}
		}
	case reflect.Map:
		obj, keys, ok := sortedObject(raw)
		if !ok {
			return nil, nil, false
		}
		for _, k := range keys {
			if p, known, ok := findUnknown(obj[k], t.Elem(), append(path, k)); ok {
				return p, known, true
			}
		}
	case reflect.Slice, reflect.Array:
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil, nil, false
		}
		for i, e := range list {
			if p, known, ok := findUnknown(e, t.Elem(), append(path, fmt.Sprint(i))); ok {
				return p, known, true
			}
		}
	}
	return nil, nil, false
}

// jsonFieldFold finds the field the decoder would fill from key name (an
// exact JSON name, else one equal under case folding, as encoding/json
// matches).
func jsonFieldFold(t reflect.Type, name string) (reflect.Type, bool) {
	if f, ok := jsonField(t, name); ok {
		return f, true
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if n, ok := jsonName(f); ok && strings.EqualFold(n, name) {
			return f.Type, true
		}
	}
	return nil, false
}

// typeWord names what a value of type t looks like in a JSON file.
func typeWord(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number not below 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another value"
}

// sortedObject reads raw as a JSON object and lists its keys in order, so
// that the first unknown key reported does not depend on map order.
func sortedObject(raw []byte) (map[string]json.RawMessage, []string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, nil, false
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return obj, keys, true
}
