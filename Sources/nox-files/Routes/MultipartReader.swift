import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import NoxRuntime

/// Streams a `multipart/form-data` body part by part through MultipartKit's incremental parser:
/// each part's bytes go to the handler as they arrive, so a 1 GB file part never sits in memory.
struct MultipartReader {
    struct Part: Sendable {
        /// The form field name (`files`, `dir`, `archive`).
        var name: String
        /// The client's file name, if the part is a file.
        var filename: String?
    }

    /// What a handler does with the parts, in order. Errors thrown stop the whole request.
    protocol Handler: AnyObject {
        func begin(_ part: Part) throws
        func body(_ bytes: ByteBuffer) throws
        func end() throws
    }

    let boundary: String

    /// The boundary of a `multipart/form-data` request, or 415 for any other body.
    init(request: Request) throws {
        guard let contentType = request.headers[.contentType],
            let parsed = HeaderParameters(contentType), parsed.value.lowercased() == "multipart/form-data",
            let boundary = parsed.parameters["boundary"], (1...200).contains(boundary.utf8.count)
        else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "Send the files as multipart/form-data (with a boundary)."
            )
        }
        self.boundary = boundary
    }

    /// Feeds the body to the parser and the parts to `handler`.
    func read(_ body: RequestBody, into handler: some Handler) async throws {
        let parser = MultipartParser(boundary: boundary)
        let state = ParseState()
        parser.onHeader = { name, value in
            guard state.failure == nil else { return }
            state.headers.append((name.lowercased(), value))
        }
        parser.onBody = { buffer in
            guard state.failure == nil else { return }
            do {
                try state.beginIfNeeded(handler)
                try handler.body(buffer)
            } catch { state.failure = error }
        }
        parser.onPartComplete = {
            guard state.failure == nil else { return }
            do {
                try state.beginIfNeeded(handler)
                try handler.end()
                state.inPart = false
                state.headers = []
            } catch { state.failure = error }
        }
        for try await buffer in body {
            do {
                try parser.execute(buffer)
            } catch {
                throw APIError(.badRequest, code: "invalid_multipart", message: "The multipart body is malformed.")
            }
            if let failure = state.failure { throw failure }
            state.sawAnyBytes = true
        }
        guard state.sawAnyBytes, !state.inPart, state.completedParts > 0 else {
            throw APIError(.badRequest, code: "invalid_multipart", message: "The multipart body is empty or ends before its last part does.")
        }
    }

    /// The parser's callbacks cannot throw; they park the first error here.
    private final class ParseState {
        var headers: [(String, String)] = []
        var inPart = false
        var failure: (any Error)?
        var sawAnyBytes = false
        var completedParts = 0

        func beginIfNeeded(_ handler: some Handler) throws {
            if inPart { return }
            inPart = true
            completedParts += 1
            guard let disposition = headers.first(where: { $0.0 == "content-disposition" })?.1,
                let parsed = HeaderParameters(disposition, backslashEscapes: false), parsed.value.lowercased() == "form-data",
                let name = parsed.parameters["name"]
            else {
                throw APIError.validation(field: "content-disposition", "Every part needs Content-Disposition: form-data with a name.")
            }
            try handler.begin(Part(name: name, filename: parsed.parameters["filename*"] ?? parsed.parameters["filename"]))
        }
    }
}

/// `value; key=token; key="quoted \" string"; key*=UTF-8''percent%20encoded` (RFC 9110 §5.6.6, RFC 8187).
struct HeaderParameters {
    var value: String
    var parameters: [String: String] = [:]

    /// - Parameter backslashEscapes: RFC 9110 quoted-pair. Off for multipart Content-Disposition:
    ///   browsers (WHATWG form encoding) send `"` as `%22` and a backslash as itself, so a Windows
    ///   path `C:\dir\a.txt` must keep its backslashes to be cut to `a.txt`.
    init?(_ header: String, backslashEscapes: Bool = true) {
        var scanner = Substring(header)
        value = String(Self.take(&scanner, until: ";")).trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { return nil }
        while scanner.first == ";" {
            scanner.removeFirst()
            let key = String(Self.take(&scanner, until: "=;")).trimmingCharacters(in: .whitespaces).lowercased()
            var parameterValue = ""
            if scanner.first == "=" {
                scanner.removeFirst()
                scanner = scanner.drop(while: { $0 == " " })
                if scanner.first == "\"" {
                    scanner.removeFirst()
                    while let character = scanner.first, character != "\"" {
                        scanner.removeFirst()
                        if backslashEscapes, character == "\\", let escaped = scanner.first {
                            parameterValue.append(escaped)
                            scanner.removeFirst()
                        } else {
                            parameterValue.append(character)
                        }
                    }
                    if scanner.first == "\"" { scanner.removeFirst() }
                    _ = Self.take(&scanner, until: ";")
                } else {
                    parameterValue = String(Self.take(&scanner, until: ";")).trimmingCharacters(in: .whitespaces)
                }
            }
            if key.hasSuffix("*") {
                // RFC 8187: charset'language'percent-encoded; only UTF-8 is worth supporting.
                let pieces = parameterValue.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                guard pieces.count == 3, pieces[0].lowercased() == "utf-8", let decoded = String(pieces[2]).removingPercentEncoding else { continue }
                parameterValue = decoded
            }
            if !key.isEmpty { parameters[key] = parameterValue }
        }
    }

    private static func take(_ scanner: inout Substring, until stops: String) -> Substring {
        let end = scanner.firstIndex(where: { stops.contains($0) }) ?? scanner.endIndex
        defer { scanner = scanner[end...] }
        return scanner[..<end]
    }
}
