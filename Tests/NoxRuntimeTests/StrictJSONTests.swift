import Foundation
import Testing

@testable import NoxRuntime

@Suite struct StrictJSONTests {
    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"a": [1, -2.5e+3, true, false, null, "x\u00e9\n"]}"#, " 0 ", #""s""#, #"{"a":{"b":{}}}"#,
    ])
    func acceptsJSON(text: String) {
        #expect(StrictJSON.isValid(Data(text.utf8)))
    }

    @Test(arguments: [
        "", "{", #"{"a":1,}"#, "[1,]", "[1 2]", #"{"a" 1}"#, "{'a':1}", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul",
        "NaN", "Infinity", #""\x""#, "\"a\u{01}\"", #"{"a":1}{"b":2}"#, #"{"a":1} x"#, "[" + String(repeating: "[", count: 300),
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(!StrictJSON.isValid(Data(text.utf8)))
    }

    @Test func refusesInvalidUTF8OnlyThroughTheDecoder() {
        // Bytes ≥ 0x80 are passed through here; JSONSerialization then rejects malformed UTF-8.
        #expect(StrictJSON.isValid(Data([0x22, 0xC3, 0xA9, 0x22])))
    }
}
