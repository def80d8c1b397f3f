import NoxIPC
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses every kind of JSON value, integers as int and fractions as double")
    func parsesAllKinds() throws {
        let text = #"{"n":null,"t":true,"i":42,"neg":-7,"d":1.5,"s":"x\"y","a":[1,"two"],"o":{"k":{}}}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(
            value == [
                "n": nil, "t": true, "i": 42, "neg": -7, "d": 1.5, "s": "x\"y", "a": [1, "two"], "o": ["k": .emptyObject],
            ])
        #expect(value["i"]?.intValue == 42)
        #expect(value["d"]?.doubleValue == 1.5)
        #expect(value["d"]?.intValue == nil)
        #expect(value["a"]?[1]?.stringValue == "two")
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
    }

    @Test("a number without a fraction becomes an int, a number too large for Int a double")
    func numbers() throws {
        #expect(try JSONValue(parsing: Array("1.0".utf8)) == .int(1))
        #expect(try JSONValue(parsing: Array("1e2".utf8)) == .int(100))
        #expect(try JSONValue(parsing: Array(JSONValue.double(2).jsonString.utf8)) == .int(2))
        #expect(try JSONValue(parsing: Array("1e300".utf8)) == .double(1e300))
        #expect(try JSONValue(parsing: Array("18446744073709551615".utf8)).doubleValue == Double(UInt64.max))
    }

    @Test("round-trips through its JSON text")
    func roundTrip() throws {
        let value: JSONValue = ["text": "héllo\n\u{0}", "list": [true, nil, 3, 2.25], "nested": ["a": ["b": "c"]]]
        #expect(try JSONValue(parsing: Array(value.jsonString.utf8)) == value)
        let unordered: JSONValue = ["b": 1, "a": 2]
        #expect(unordered.jsonString == #"{"a":2,"b":1}"#)
    }

    @Test("converts to and from Codable types")
    func codable() throws {
        struct Principal: Codable, Equatable {
            var username: String
            var keyID: String?
            var permissions: [String]
        }
        let principal = Principal(username: "alice", keyID: nil, permissions: ["exec"])
        let json = try JSONValue(encoding: principal)
        #expect(json == ["username": "alice", "permissions": ["exec"]])
        #expect(try json.decode(Principal.self) == principal)
        let wrong: JSONValue = ["username": 3]
        #expect(throws: DecodingError.self) { try wrong.decode(Principal.self) }
    }

    @Test("rejects text that is not JSON")
    func rejectsGarbage() {
        #expect(throws: (any Error).self) { try JSONValue(parsing: Array("{nope".utf8)) }
    }
}
