import Glibc

/// Who may call a Nox daemon's Varlink methods (checked per call with `SO_PEERCRED`, on top of
/// the socket's `root:nox 0660`).
public enum VarlinkPeers {
    /// root, this process's user, and every member of group `nox` (the Nox daemons).
    public static func noxDaemons() -> Set<UInt32> {
        var uids: Set<UInt32> = [0, getuid()]
        guard let group = getgrnam("nox") else { return uids }
        var member = group.pointee.gr_mem
        while let name = member?.pointee {
            if let user = getpwnam(name) { uids.insert(user.pointee.pw_uid) }
            member = member?.advanced(by: 1)
        }
        return uids
    }
}
