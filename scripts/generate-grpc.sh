#!/bin/sh
# Regenerates the committed gRPC code from Protos/: one Swift target per service.
#   Protos/paastech/pomegranate/*.proto -> Sources/PomegranateRPC/ (one service per concern, one file each)
#   Protos/paastech/repo_manager.proto -> Sources/RepoManagerRPC/
# The protoc plugins are built from the package's own dependencies (swift-protobuf,
# grpc-swift-protobuf) in a scratch folder of their own, so the versions always match.
set -eu
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends protobuf-compiler
fi

scratch=.build-protoc
swift build --scratch-path "$scratch" --product protoc-gen-swift
swift build --scratch-path "$scratch" --product protoc-gen-grpc-swift-2
bin=$(swift build --scratch-path "$scratch" --show-bin-path)

generate() {
    output=$1
    shift
    rm -f "$output"/*.pb.swift "$output"/*.grpc.swift
    protoc --proto_path=Protos \
        --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
        --swift_out="$output" --swift_opt=Visibility=Public \
        --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
        --grpc-swift_out="$output" --grpc-swift_opt=Visibility=Public \
        "$@"
    # protoc mirrors the protos' folders; the targets are flat.
    if [ -d "$output/paastech" ]; then
        find "$output/paastech" -name '*.swift' -exec mv {} "$output"/ \;
        rm -r "$output/paastech"
    fi
}

generate Sources/PomegranateRPC $(cd Protos && echo paastech/pomegranate/*.proto)
generate Sources/RepoManagerRPC paastech/repo_manager.proto
echo "generated: $(ls Sources/PomegranateRPC Sources/RepoManagerRPC | tr '\n' ' ')"
