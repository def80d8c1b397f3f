import Foundation
import HTTPTypes
public import Hummingbird

/// `?limit=` (default 50, 1…1000) and `?cursor=` (opaque) as API.md's lists take them.
public struct PageRequest: Sendable {
    public var limit: Int
    public var cursor: String?

    public init(limit: Int = 50, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    public init(from request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...1000).contains(value) else {
                throw APIError.validation(field: "limit", "limit must be an integer from 1 to 1000.")
            }
            limit = value
        } else {
            limit = 50
        }
        if let text = query["cursor"], !text.isEmpty {
            guard text.count <= 512,
                let decoded = Base64URL.decode(text).flatMap({ String(data: $0, encoding: .utf8) }),
                decoded.hasPrefix(Self.cursorPrefix)
            else {
                throw APIError.validation(field: "cursor", "cursor is not one this server issued.")
            }
            cursor = String(decoded.dropFirst(Self.cursorPrefix.count))
        }
    }

    /// Encodes a position as an opaque cursor.
    public static func cursor(for position: String) -> String {
        Base64URL.encode(Data((cursorPrefix + position).utf8))
    }

    /// Marks cursors this server made, so that garbage is refused instead of read as a position.
    static let cursorPrefix = "nox1:"
}

/// A page of a list: `{"items": [...], "next_cursor": "..." | null}`.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var items: [Item]
    public var next_cursor: String?

    public init(items: [Item], next_cursor: String?) {
        self.items = items
        self.next_cursor = next_cursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Always present, null on the last page.
        try container.encode(next_cursor, forKey: .next_cursor)
    }

    enum CodingKeys: String, CodingKey { case items, next_cursor }
}
