internal import CGitStart

/// The system's certificate authorities, which GitKit gives libgit2 before its first push or fetch, not at its start.
///
/// Debian's libgit2 parses the whole CA bundle (some 150 certificates, 5 to 7 ms) when it starts, in every process,
/// though only HTTPS remotes use it; most tollgate commands never talk to a remote, and the parse was a third of a
/// `tollgate status`. `CGitStart` starts libgit2 with the parse noted instead of done (docs/decisions.md says how).
enum SystemCertificates {
    /// Loads the authorities libgit2's start left out, once per process; called before every push and fetch.
    ///
    /// A bundle that cannot be read is no error here, as it was none at libgit2's start: an HTTPS remote's
    /// certificate is then refused as untrusted, and that error names the fix.
    static func load() {
        _ = libgit2Initialized
        _ = tollgate_load_system_certificates()
    }

    /// The bundle libgit2's start asked for (a file or a folder), or nil when it asked for none.
    static var deferredLocation: String? {
        _ = libgit2Initialized
        return tollgate_deferred_certificate_location().map { String(cString: $0) }
    }

    /// How many times the deferred bundle was parsed in this process: 0 before the first remote call, then 1.
    static var loads: Int {
        Int(tollgate_system_certificate_loads())
    }
}
