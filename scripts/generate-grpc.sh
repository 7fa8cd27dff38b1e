#!/bin/sh
# Regenerates the committed gRPC code from Protos/: one Swift target per service.
#   Protos/paastech/pomegranate.proto  -> Sources/PomegranateRPC/
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
    proto=$1 output=$2
    rm -f "$output"/*.pb.swift "$output"/*.grpc.swift
    protoc --proto_path=Protos \
        --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
        --swift_out="$output" --swift_opt=Visibility=Public \
        --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
        --grpc-swift_out="$output" --grpc-swift_opt=Visibility=Public \
        "$proto"
    # protoc mirrors the proto's folder; the targets are flat.
    if [ -d "$output/paastech" ]; then
        mv "$output"/paastech/* "$output"/ && rmdir "$output/paastech"
    fi
}

generate paastech/pomegranate.proto Sources/PomegranateRPC
generate paastech/repo_manager.proto Sources/RepoManagerRPC
echo "generated: $(ls Sources/PomegranateRPC Sources/RepoManagerRPC | tr '\n' ' ')"
