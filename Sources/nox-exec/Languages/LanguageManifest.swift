/// One language as its manifest in `languages.d` describes it.
///
/// `packaging/languages.d/python.toml` is the reference for the file format: every key is
/// documented there. Values are checked when the file is read (`parse(_:file:)`), so
/// everything here is already valid: names follow the name rule, paths are absolute, and
/// the command templates use only known placeholders.
public struct LanguageManifest: Sendable, Equatable {
    /// What clients ask for (`"language": "python"`); `^[a-z][a-z0-9+_-]{0,31}$`.
    public let name: String
    /// Other names clients may use (`py`, `python3`); same rule as `name`.
    public let aliases: [String]
    /// The extension of source files, without the dot (`py`).
    public let fileExtension: String
    /// The file name the submitted code is written to (`main.py`, `Main.java`).
    public let sourceName: String
    /// Absolute paths that must be executable files for the language to be offered.
    public let requires: [String]
    /// The argv whose output names the version (its first `\d+(\.\d+)+`), if any.
    public let versionCommand: [String]?
    /// Run before `run` when present (compilers); a failure ends the run there.
    public let compile: CommandTemplate?
    /// Runs the program; the request's `args` follow as separate argv items.
    public let run: CommandTemplate
    /// Extra environment for compile and run, on top of what nox-exec sets.
    public let environment: [String: String]
    /// Whether the run may keep `MemoryDenyWriteExecute=yes`; JIT runtimes (node, java) need `false`.
    public let memoryDenyWriteExecute: Bool
    /// The fewest tasks (processes + threads) the runtime needs to start, if it needs many.
    public let tasksMin: Int?
    /// A time limit of its own for `compile`, in seconds; nil leaves it to nox-exec.
    public let compileTimeoutSeconds: Int?

    /// Every executable the language needs: `requires` plus the absolute programs of `compile` and `run`,
    /// so a manifest cannot be offered while its own compiler or interpreter is missing.
    public var requiredExecutables: [String] {
        var paths = requires
        for program in [compile?.program, run.program].compactMap({ $0 }) where !paths.contains(program) {
            paths.append(program)
        }
        return paths
    }

    /// Whether `text` follows the rule for names and aliases: `^[a-z][a-z0-9+_-]{0,31}$`.
    public static func isValidName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), bytes.count <= 32 else {
            return false
        }
        return bytes.dropFirst().allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
