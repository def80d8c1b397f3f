import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A call as it goes over the wire: `{method, parameters?, oneway?, more?, upgrade?}`.
struct VarlinkCallMessage: Codable, Sendable, Equatable {
    var method: String
    var parameters: JSONValue?
    var oneway: Bool?
    var more: Bool?
    var upgrade: Bool?
}

/// A reply as it goes over the wire: `{parameters?, continues?, error?}`.
struct VarlinkReplyMessage: Codable, Sendable, Equatable {
    var parameters: JSONValue?
    var continues: Bool?
    var error: String?

    init(parameters: JSONValue?, continues: Bool? = nil, error: String? = nil) {
        self.parameters = parameters
        self.continues = continues
        self.error = error
    }

    init(error: VarlinkError) {
        self.init(parameters: error.parameters, error: error.name)
    }
}

/// Turns messages into NUL-terminated frames and frames into messages.
enum VarlinkWire {
    /// A message's JSON followed by the terminating NUL byte.
    static func frame(_ message: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let json = try encoder.encode(message)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 1)
        buffer.writeBytes(json)
        buffer.writeInteger(UInt8(0))
        return buffer
    }

    /// Decodes one frame (without its NUL) as a message.
    static func decode<Message: Decodable>(_ type: Message.Type, from frame: ByteBuffer) throws -> Message {
        do {
            return try JSONDecoder().decode(type, from: Data(frame.readableBytesView))
        } catch {
            throw NoxIPCError(.protocolViolation, "the peer sent a frame that is not a Varlink message", cause: error)
        }
    }
}
