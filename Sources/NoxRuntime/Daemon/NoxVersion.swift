/// The version of this Nox build, reported by `GetInfo` and `/api/health`.
public enum NoxVersion {
    public static let current = "0.1.0"
}
