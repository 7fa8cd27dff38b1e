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

# Each service's file in three, by concern: its descriptors (<name>.grpc.swift), the server side
# (<name>+Server.grpc.swift) and the client side (<name>+Client.grpc.swift), each with the generated header.
# The generator marks the sides with "// MARK: <service> (server)" and "(client)"; a file without them
# (no service) stays whole.
split_sides() {
    for file in "$1"/*.grpc.swift; do
        grep -q '^// MARK: .* (server)$' "$file" || continue
        base=${file%.grpc.swift}
        awk -v main="$file.tmp" -v server="$base+Server.grpc.swift" -v client="$base+Client.grpc.swift" '
            BEGIN { part = "header" }
            part == "header" && /^\/\/ MARK: - / { part = "main" }
            /^\/\/ MARK: .* \(server\)$/ { part = "server"; printf "%s", header > server }
            /^\/\/ MARK: .* \(client\)$/ { part = "client"; printf "%s", header > client }
            {
                if (part == "header") header = header $0 "\n"
                if (part == "header" || part == "main") print > main
                else if (part == "server") print > server
                else print > client
            }' "$file"
        mv "$file.tmp" "$file"
        grep -q '(client)$' "$base+Client.grpc.swift" || { echo "split_sides: no client side in $file" >&2; exit 1; }
    done
}

generate Sources/PomegranateRPC $(cd Protos && echo paastech/pomegranate/*.proto)
generate Sources/RepoManagerRPC paastech/repo_manager.proto
split_sides Sources/PomegranateRPC
split_sides Sources/RepoManagerRPC
echo "generated: $(ls Sources/PomegranateRPC Sources/RepoManagerRPC | tr '\n' ' ')"
