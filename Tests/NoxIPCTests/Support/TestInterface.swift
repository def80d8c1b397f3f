import Foundation
import NIOConcurrencyHelpers
import NoxIPC

/// The parameters of io.nox.Test.Add.
struct AddParameters: Codable, Sendable {
    var a: Int
    var b: Int
}

struct SumReply: Codable, Sendable, Equatable {
    var sum: Int
}

/// An error a method throws that is not a Varlink error.
struct UnexpectedTestError: Error {}

/// io.nox.Test, implemented in Swift (the IDL is the file the Python peer uses too).
/// Notes recorded by `Note` go into `notes`.
func makeTestInterface(notes: NIOLockedValueBox<[String]> = .init([])) throws -> VarlinkInterface {
    try VarlinkInterface(
        description: TestPaths.read(TestPaths.testInterfaceFile),
        methods: [
            VarlinkMethod("Echo") { call in call.parameters },
            VarlinkMethod("Add", parameters: AddParameters.self) { parameters, _ in
                SumReply(sum: parameters.a + parameters.b)
            },
            VarlinkMethod("Count", mode: .more) { call in
                let count = call.parameters["count"]?.intValue ?? 0
                for index in 0..<max(count - 1, 0) {
                    try await call.reply(["index": .int(index)])
                }
                return ["index": .int(max(count - 1, 0))]
            },
            VarlinkMethod("Note") { call in
                guard let text = call.parameters["text"]?.stringValue else { throw VarlinkError.invalidParameter("text") }
                notes.withLockedValue { $0.append(text) }
                return .emptyObject
            },
            VarlinkMethod("Notes") { _ in
                ["notes": .array(notes.withLockedValue { $0 }.map(JSONValue.string))]
            },
            VarlinkMethod("Fail") { call in
                throw VarlinkError(name: "io.nox.Test.TestFailure", parameters: ["reason": call.parameters["reason"] ?? .null])
            },
            VarlinkMethod("Crash") { _ in throw UnexpectedTestError() },
            VarlinkMethod("WhoAmI") { call in
                ["peer": try JSONValue(encoding: ["pid": Int(call.peer.pid), "uid": Int(call.peer.uid), "gid": Int(call.peer.gid)])]
            },
            VarlinkMethod("Forbidden") { _ in .emptyObject },
            VarlinkMethod("Sleep") { call in
                try await Task.sleep(for: .milliseconds(call.parameters["milliseconds"]?.intValue ?? 0))
                return .emptyObject
            },
        ],
        authorization: VarlinkAuthorization { method, peer in
            method != "Forbidden" && peer.uid == getuid()
        }
    )
}

/// io.nox.Auth with no method implemented: enough to serve its description.
func makeAuthInterface() throws -> VarlinkInterface {
    try VarlinkInterface(description: VarlinkInterfaces.ioNoxAuth, methods: [], authorization: .allowAll)
}

extension VarlinkServiceInfo {
    static let test = VarlinkServiceInfo(vendor: "Nox", product: "noxipc-tests", version: "0.0.1", url: "https://example.org/nox")
}
