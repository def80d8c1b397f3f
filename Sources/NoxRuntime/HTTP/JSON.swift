public import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore

/// JSON in and out of requests, with API.md's error codes for bad input.
public enum JSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Reads the whole body (up to `limit` bytes) and decodes it.
    /// Not JSON → 400 `invalid_json`; JSON of the wrong shape → 422 `validation_failed` naming the field.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws -> T {
        let data = try await body(of: request, limit: limit)
        return try decode(type, from: data)
    }

    public static func body(of request: Request, limit: Int) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        // StrictJSON checks the grammar; the bytes must also be UTF-8 (RFC 8259 §8.1).
        guard StrictJSON.isValid(data), String(data: data, encoding: .utf8) != nil else {
            throw APIError.invalidJSON()
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as APIError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw APIError.validation(field: path(context.codingPath + [key]), "The field \(path(context.codingPath + [key])) is required.")
        } catch let DecodingError.typeMismatch(expected, context) {
            let field = path(context.codingPath)
            throw APIError.validation(
                field: field.isEmpty ? "body" : field, "The field \(field.isEmpty ? "body" : field) must be of type \(typeName(expected)).")
        } catch let DecodingError.valueNotFound(expected, context) {
            let field = path(context.codingPath)
            throw APIError.validation(field: field, "The field \(field) must be of type \(typeName(expected)), not null.")
        } catch let DecodingError.dataCorrupted(context) {
            var field = path(context.codingPath)
            // A number that does not fit its field (too large, or a fraction for an integer) is
            // reported with no path; only then parse the tree to name the field.
            if field.isEmpty, let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
                if let number = outOfRangeNumber(in: parsed, path: "") {
                    throw APIError.validation(field: number, "The field \(number) is out of range.")
                }
                if let number = fractionalNumber(in: parsed, path: "") {
                    throw APIError.validation(field: number, "The field \(number) must be an integer.")
                }
            }
            if field.isEmpty { field = "body" }
            throw APIError.validation(field: field, "The field \(field) has an invalid value.")
        }
    }

    /// A JSON response with the given status.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The path of the first number that no integer or finite double can hold, if any.
    static func outOfRangeNumber(in value: Any, path: String) -> String? {
        switch value {
        case let object as [String: Any]:
            for (key, child) in object {
                if let found = outOfRangeNumber(in: child, path: path.isEmpty ? key : path + "." + key) { return found }
            }
        case let array as [Any]:
            for (index, child) in array.enumerated() {
                if let found = outOfRangeNumber(in: child, path: path + "[\(index)]") { return found }
            }
        case let number as NSNumber where !(number is Bool):
            let double = number.doubleValue
            if !double.isFinite || abs(double) > 9.0e15 { return path.isEmpty ? "body" : path }
        default:
            break
        }
        return nil
    }

    /// The path of the first number with a fractional part, if any.
    static func fractionalNumber(in value: Any, path: String) -> String? {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = fractionalNumber(in: object[key]!, path: path.isEmpty ? key : path + "." + key) { return found }
            }
        case let array as [Any]:
            for (index, child) in array.enumerated() {
                if let found = fractionalNumber(in: child, path: path + "[\(index)]") { return found }
            }
        case let number as NSNumber where !(number is Bool):
            if number.doubleValue.rounded() != number.doubleValue { return path.isEmpty ? "body" : path }
        default:
            break
        }
        return nil
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Int.Type, is Int64.Type: return "integer"
        case is Bool.Type: return "boolean"
        case is Double.Type: return "number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "array" }
            if name.hasPrefix("Dictionary") { return "object" }
            return "object"
        }
    }
}

extension APIError {
    /// This error as an HTTP response in the JSON error shape.
    public func response(requestID: String?) -> Response {
        struct Body: Encodable {
            struct Inner: Encodable {
                var code: String
                var message: String
                var details: [String: String]?
            }
            var error: Inner
        }
        let data = (try? JSON.encoder.encode(Body(error: .init(code: code, message: message, details: details)))) ?? Data()
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(data.count)
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        if let requestID { fields[.requestID] = requestID }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-Id")!
    public static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
