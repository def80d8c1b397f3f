import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Nox's systemd units as `systemctl show` describes them.
public struct UnitState: Sendable, Equatable {
    public var id: String
    public var loadState: String
    public var activeState: String
    public var subState: String
    public var unitFileState: String
    public var mainPID: Int
    /// Bytes, nil when systemd does not account it.
    public var memory: Int64?
    public var description: String

    /// The daemon a unit belongs to: `nox-exec-varlink.socket` → `exec`; nil for the target and slices.
    public var daemon: String? {
        guard id.hasPrefix("nox-"), id.hasSuffix(".service") || id.hasSuffix(".socket") else { return nil }
        var name = String(id.dropFirst(4))
        name = String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
        if name.hasSuffix("-varlink") { name = String(name.dropLast(8)) }
        return name
    }
}

public enum SystemdUnits {
    /// The properties `parse` reads.
    public static let properties = "Id,LoadState,ActiveState,SubState,UnitFileState,MainPID,MemoryCurrent,Description"

    /// Parses `systemctl show -p … UNIT…`: blocks of KEY=VALUE lines separated by blank lines.
    public static func parse(show output: String) -> [UnitState] {
        var units: [UnitState] = []
        for block in output.split(separator: "\n\n", omittingEmptySubsequences: false) {
            var values: [String: String] = [:]
            for line in block.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            guard let id = values["Id"], !id.isEmpty else { continue }
            let memory = values["MemoryCurrent"].flatMap { Int64($0) }.flatMap { $0 == Int64.max || $0 < 0 ? nil : $0 }
            units.append(
                UnitState(
                    id: id, loadState: values["LoadState"] ?? "", activeState: values["ActiveState"] ?? "", subState: values["SubState"] ?? "",
                    unitFileState: values["UnitFileState"] ?? "", mainPID: Int(values["MainPID"] ?? "") ?? 0, memory: memory,
                    description: values["Description"] ?? ""))
        }
        return units
    }

    /// Unit names from `systemctl list-unit-files --no-legend --plain PATTERN` or `list-units`:
    /// the first column of each line; templates (`name@.service`) left out.
    public static func parse(list output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            let name = line.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init)
            guard let name, !name.contains("@.") else { return nil }
            return name
        }
    }

    /// Nox's installed units (services, sockets, the target, slices), in a stable order.
    public static func installedUnits() throws -> [String] {
        let files = try Subprocess.check(Subprocess.systemctl, ["list-unit-files", "--no-legend", "--plain", "--no-pager", "nox*"])
        return parse(list: files).filter { !$0.hasPrefix("nox-run-") }.sorted(by: unitOrder)
    }

    /// Loaded units matching `pattern` (running runs, user slices…).
    public static func loadedUnits(_ pattern: String) throws -> [String] {
        parse(list: try Subprocess.check(Subprocess.systemctl, ["list-units", "--all", "--no-legend", "--plain", "--no-pager", pattern]))
    }

    public static func show(_ units: [String]) throws -> [UnitState] {
        guard !units.isEmpty else { return [] }
        return parse(show: try Subprocess.check(Subprocess.systemctl, ["show", "--no-pager", "-p", properties] + units))
    }

    /// The target first, then each daemon's service and sockets together, slices last.
    static func unitOrder(_ a: String, _ b: String) -> Bool {
        func rank(_ unit: String) -> Int {
            if unit.hasSuffix(".target") { return 0 }
            if unit.hasSuffix(".slice") { return 2 }
            return 1
        }
        return (rank(a), a) < (rank(b), b)
    }
}
