/// A FIFO of bytes in flight between the SSH channel and receive-pack: appended at the end, consumed from
/// the front without moving the rest on every read.
struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if head > 0 && head >= storage.count / 2 {
            storage.removeFirst(head)
            head = 0
        }
        storage.append(contentsOf: bytes)
    }

    /// Calls `body` with up to `limit` bytes from the front; it returns how many it used, which are dropped.
    mutating func consume(upTo limit: Int, _ body: (UnsafeRawBufferPointer) -> Int) {
        let length = min(limit, count)
        guard length > 0 else { return }
        let used = storage.withUnsafeBytes { bytes in
            body(UnsafeRawBufferPointer(rebasing: bytes[head..<head + length]))
        }
        head += max(0, min(used, length))
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        }
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }
}
