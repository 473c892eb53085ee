#!/bin/bash -eu
# Builds qrlab's native Go fuzz targets (go test -fuzz targets) as libFuzzer
# binaries with the OSS-Fuzz Go toolchain's compile_native_go_fuzzer, for
# ClusterFuzzLite and OSS-Fuzz. The lab cannot run it (no OSS-Fuzz image
# here); it is kept correct by construction, and TestClusterFuzzLiteTargets
# (cmd/simrun) checks that its target list matches the module's targets.
#
# compile_native_go_fuzzer copies the target's _test.go file to an ordinary
# file and builds the package without its other test files. So, in a scratch
# copy of the module for each target:
#   - the package's other internal test files become ordinary files (targets
#     use helpers defined in them);
#   - external test files (package X_test) cannot sit beside package X as
#     ordinary files: they are dropped, or, when the target itself is in one
#     (none is today; a target may be written so), moved with their siblings
#     into a package of their own that imports X as before.

# Every target: package directory (from the module root) and function.
targets=(
	"fuzz FuzzScenarioParse"
	"fuzz FuzzSimRun"
	"fuzz FuzzSimVariantKnobs"
	"fuzz FuzzChannelDifferential"
	"fuzz/ceiling FuzzEmpty"
	"fuzz/decode/channel FuzzChannelFrames"
	"fuzz/decode/msg FuzzMessageDecode"
	"fuzz/decode/qr FuzzQRDecode"
	"fuzz/decode/qr FuzzQREncode"
	"fuzz/decode/qr FuzzQRLayouts"
	"fuzz/decode/wire FuzzReader"
	"fuzz/msgcodec FuzzMessageStructured"
	"model/channel FuzzChannelOpen"
	"model/homeserver FuzzKeysUpload"
	"model/login FuzzNewDeviceStep"
	"model/login FuzzExistingDeviceStep"
	"model/oauth FuzzTokenEndpoint"
	"model/oauth FuzzRegister"
	"model/rendezvous FuzzClientParse"
	"model/rendezvous FuzzRendezvousStore"
	"model/rendezvous FuzzStoreMatchesSpec"
	"model/rendezvous FuzzReadMemo"
	"model/wire FuzzReaderEncodingJSON"
	"model/wire FuzzScans"
	"model/wire/canonicaljson FuzzTopString"
	"reports FuzzRecords"
	"reports FuzzRecordDecoders"
	"cmd/simrun FuzzCLI"
)

module=qrlab
src="$SRC/qrlab"
prepared="$WORK/qrlab-prepared"
scratch="$WORK/qrlab-scratch"

# packageOf prints the package clause's name of a Go file.
packageOf() {
	sed -n 's/^package \([A-Za-z0-9_]*\).*/\1/p' "$1" | head -n 1
}

# The module's code (the command line for FuzzCLI, without the interop tests
# and their node modules), with go-118-fuzz-build's testing shim added to
# go.mod in the copy only.
rm -rf "$prepared"
mkdir -p "$prepared"
cp -r "$src/go.mod" "$src/go.sum" "$src/model" "$src/sim" "$src/scenarios" "$src/fuzz" "$src/reports" "$src/lab" "$src/internal" "$prepared/"
rm -rf "$prepared/lab/interop"
mkdir -p "$prepared/cmd"
cp -r "$src/cmd/simrun" "$prepared/cmd/"
mkdir -p "$prepared/ossfuzzshim"
printf 'package ossfuzzshim\n\nimport _ "github.com/AdamKorcz/go-118-fuzz-build/testing"\n' >"$prepared/ossfuzzshim/shim.go"
(cd "$prepared" && go get github.com/AdamKorcz/go-118-fuzz-build/testing && go mod tidy)

build_target() {
	local dir=$1 fn=$2
	rm -rf "$scratch"
	cp -r "$prepared" "$scratch"
	cd "$scratch"

	local file
	file=$(grep -l "^func $fn(" "$dir"/*_test.go)
	local pkg
	pkg=$(packageOf "$file")
	if [[ $pkg == *_test ]]; then
		local x="$dir/ossfuzzxtest"
		mkdir -p "$x"
		for f in "$dir"/*_test.go; do
			if [[ $(packageOf "$f") == "$pkg" ]]; then
				mv "$f" "$x/"
			fi
		done
		sed -i "s/^package $pkg\$/package ossfuzzxtest/" "$x"/*_test.go
		file="$x/$(basename "$file")"
		dir="$x"
	fi
	for f in "$dir"/*_test.go; do
		if [[ $f == "$file" ]]; then
			continue
		fi
		if [[ $(packageOf "$f") == *_test ]]; then
			rm "$f"
		else
			mv "$f" "${f%_test.go}_fuzzhelper.go"
		fi
	done
	if [[ $pkg == main ]]; then
		# A main package cannot be imported by the fuzzer's driver: in the
		# copy it becomes an ordinary package (its func main is then just
		# a function).
		sed -i 's/^package main$/package ossfuzzmain/' "$dir"/*.go
	fi
	compile_native_go_fuzzer "$module/$dir" "$fn" "$fn"
	cd "$src"
}

for t in "${targets[@]}"; do
	build_target $t
done
