import Foundation
import Testing

@testable import NoxCtl

@Suite struct OutputTests {
    let plain = Terminal(colors: false, progress: false)

    @Test func tablesAlignColumnsAndRightAlignNumbers() {
        var table = Table(columns: ["NAME", "SIZE"], rightAligned: [1])
        table.add(["a", "1 B"])
        table.add(["longer-name", "20.0 MiB"])
        #expect(table.render(plain) == "NAME             SIZE\na                 1 B\nlonger-name  20.0 MiB\n")
    }

    @Test func controlCharactersCannotBreakATableOrTheTerminal() {
        var table = Table(columns: ["X"])
        table.add(["evil\n\u{1B}[31mname"])
        #expect(table.render(plain) == "X\nevil??[31mname\n")
    }

    @Test func coloursOnlyWhenOn() {
        var table = Table(columns: ["S"])
        table.add([Table.Cell("failed", .red)])
        #expect(!table.render(plain).contains("\u{1B}"))
        #expect(table.render(Terminal(colors: true, progress: false)).contains("\u{1B}[31mfailed\u{1B}[0m"))
    }

    @Test func noColorTurnsColoursOffEvenOnATerminal() {
        // Not a terminal in the test runner either way; NO_COLOR must win regardless.
        #expect(Terminal.current(environment: ["NO_COLOR": ""]).colors == false)
    }

    @Test func wideCharactersCountDouble() {
        #expect(Table.width("日本") == 4)
        #expect(Table.width("e\u{0301}") == 1)
    }

    @Test func sizesDurationsAndTimes() throws {
        #expect(Formatting.bytes(512) == "512 B")
        #expect(Formatting.bytes(1536) == "1.5 KiB")
        #expect(Formatting.bytes(20 * 1024 * 1024) == "20.0 MiB")
        #expect(Formatting.duration(milliseconds: 850) == "850 ms")
        #expect(Formatting.duration(milliseconds: 1250) == "1.25 s")
        #expect(Formatting.duration(milliseconds: 125_000) == "2m05s")
        #expect(Formatting.time("2026-01-02T03:04:05.678Z") == "2026-01-02 03:04:05Z")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try Formatting.sinceTime("1h", now: now) == "2027-01-15T07:00:00Z")
        #expect(try Formatting.sinceTime("2026-01-01T00:00:00Z", now: now) == "2026-01-01T00:00:00Z")
        #expect(throws: NoxCtlError.self) { try Formatting.sinceTime("yesterday-ish", now: now) }
    }

    @Test func progressLine() {
        #expect(ProgressBar.line(label: "f", done: 512, total: 1024, elapsed: 0, width: 4) == "f  [##..]  50%  512 B / 1.0 KiB")
        #expect(ProgressBar.line(label: "f", done: 2048, total: 0, elapsed: 1) == "f  2.0 KiB  2.0 KiB/s")
    }

    @Test func jsonValuesRoundTripAndReadAsCells() throws {
        let value = try JSONValue.parse(Data(#"{"a":[1,2.5,"x",true,null],"b":{"c":"d"}}"#.utf8))
        #expect(value["a"].cellText == "1,2.5,x,yes,")
        #expect(value["b"]["c"].string == "d")
        #expect(value["a"].array?[0].int == 1 && value["a"].array?[3].bool == true)
        #expect(try JSONValue.parse(Data(value.prettyText.utf8)) == value)
        #expect(value["missing"].isNull)
    }
}
