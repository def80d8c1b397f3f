/// Decodes output that arrives in chunks as UTF-8 text without ever splitting a character
/// between two chunks: an incomplete sequence at the end of a chunk is held back and decoded
/// with the next. Invalid bytes become U+FFFD (as `RunResult.text` does for the whole output).
struct UTF8StreamDecoder: Sendable {
    /// The held-back start of a multi-byte character (at most 3 bytes).
    private(set) var pending: [UInt8] = []

    /// The text of `pending` + `bytes` up to the last complete character; holds back the rest.
    mutating func decode(_ bytes: some Collection<UInt8>) -> String {
        var buffer = pending
        buffer.append(contentsOf: bytes)
        let keep = Self.incompleteTailLength(buffer)
        pending = Array(buffer.suffix(keep))
        return String(decoding: buffer.dropLast(keep), as: UTF8.self)
    }

    /// The held-back bytes, as U+FFFD (the stream ended inside a character), or nothing when
    /// `discard` (the tail was cut by the output cap, not written broken by the program).
    mutating func finish(discard: Bool = false) -> String {
        defer { pending = [] }
        return discard ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// How many trailing bytes form the start of a multi-byte sequence still missing bytes: a
    /// lead byte within the last 3 bytes announcing more bytes than follow it.
    static func incompleteTailLength(_ bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            if byte & 0b1100_0000 == 0b1000_0000 { continue }  // a continuation byte: look further back
            return sequenceLength(lead: byte) > back ? back : 0
        }
        return 0
    }

    /// The length a lead byte announces; 1 for ASCII and for bytes that cannot start a sequence.
    static func sequenceLength(lead byte: UInt8) -> Int {
        switch byte {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }
}
