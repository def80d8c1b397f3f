/// A plain-text table: a header row and aligned columns separated by two spaces, as
/// `systemctl list-units` prints. Cells may be painted (ANSI escapes are not counted as width).
public struct Table: Sendable {
    public var columns: [String]
    public var rows: [[Cell]] = []
    /// Columns aligned to the right (numbers, sizes).
    public var rightAligned: Set<Int> = []

    public struct Cell: Sendable, ExpressibleByStringLiteral {
        public var text: String
        public var style: Terminal.Style?

        public init(_ text: String, _ style: Terminal.Style? = nil) {
            self.text = text
            self.style = style
        }

        public init(stringLiteral value: String) {
            self.init(value)
        }
    }

    public init(columns: [String], rightAligned: Set<Int> = []) {
        self.columns = columns
        self.rightAligned = rightAligned
    }

    public mutating func add(_ cells: [Cell]) {
        rows.append(cells)
    }

    public mutating func add(_ cells: [String]) {
        rows.append(cells.map { Cell($0) })
    }

    /// The table as text, one line per row (the header first), each ending in a newline.
    public func render(_ terminal: Terminal) -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Self.width(cell.text))
            }
        }
        func line(_ cells: [Cell], header: Bool) -> String {
            var parts: [String] = []
            for index in columns.indices {
                let cell = index < cells.count ? cells[index] : Cell("")
                let text = Self.clean(cell.text)
                let padding = String(repeating: " ", count: max(0, widths[index] - Self.width(text)))
                let painted = terminal.paint(text, header ? .bold : cell.style)
                let last = index == columns.count - 1
                parts.append(rightAligned.contains(index) ? padding + painted : painted + (last ? "" : padding))
            }
            return parts.joined(separator: "  ")
        }
        var out = line(columns.map { Cell($0) }, header: true) + "\n"
        for row in rows { out += line(row, header: false) + "\n" }
        return out
    }

    /// Control characters (a file name with a newline, an escape sequence in a job's output)
    /// would break the table or the terminal: shown as `?`.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : $0 }))
    }

    /// Display width: characters, East Asian wide ones counting two.
    static func width(_ text: String) -> Int {
        var width = 0
        for scalar in clean(text).unicodeScalars {
            switch scalar.value {
            case 0x0300...0x036F, 0x200B...0x200F: break  // combining marks, zero-width
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
                width += 2
            default: width += 1
            }
        }
        return width
    }
}
