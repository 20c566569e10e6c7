internal import CGit2
import Foundation

extension Repository {
    /// Adds a remote with the default fetch refspec, or changes the URL of an existing one.
    public func setRemote(name: String, url: String) throws(GitError) {
        var remote: OpaquePointer?
        if try gitFound("look up remote \(name)", { git_remote_lookup(&remote, pointer, name) }) {
            git_remote_free(remote)
            try git("set URL of remote \(name)") { git_remote_set_url(pointer, name, url) }
        } else {
            try git("add remote \(name)") { git_remote_create(&remote, pointer, name, url) }
            git_remote_free(remote)
        }
    }

    /// The URL of a remote; nil when there is no remote of that name.
    public func remoteURL(name: String) throws(GitError) -> String? {
        var remote: OpaquePointer?
        guard try gitFound("look up remote \(name)", { git_remote_lookup(&remote, pointer, name) }) else {
            return nil
        }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    /// Pushes refspecs (`refs/heads/a:refs/heads/a`, `+…` to force, `:refs/heads/b` to delete) to a remote.
    ///
    /// Credentials are offered once; if the server refuses them the push fails with `isAuthenticationFailure`.
    /// A non-fast-forward update is refused before anything is sent (`isRejected`); references the server
    /// refuses are thrown with `rejectedReferences` (libgit2 itself reports success for those).
    /// - Parameter security: How an HTTPS remote's certificate is verified; an untrusted one fails with
    ///   `isCertificateFailure` and a message naming the URL, the problem and the settings that fix it.
    public func push(
        remote name: String,
        refspecs: [String],
        credentials: Credentials?,
        security: TransportSecurity = .systemTrust
    ) throws(GitError) {
        try writePendingObjects()
        let operation = "push to \(name)"
        let session = try transfer(
            remote: name,
            operation: operation,
            refspecs: refspecs,
            credentials: credentials,
            security: security
        ) { (remote, session, array) throws(GitError) in
            var options = git_push_options()
            try git(operation) { git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)) }
            session.install(into: &options.callbacks)
            options.proxy_opts.type = GIT_PROXY_AUTO
            try git(operation) { git_remote_push(remote, &array, &options) }
        }
        let rejected = session.rejectedReferences
        guard rejected.isEmpty else {
            let list = rejected.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
            throw GitError(
                code: GIT_ERROR.rawValue,
                klass: Int32(GIT_ERROR_REFERENCE.rawValue),
                message: "the remote rejected \(list)",
                operation: operation,
                rejectedReferences: rejected
            )
        }
    }

    /// Fetches from a remote: the given refspecs, or the remote's configured ones when `refspecs` is empty.
    ///
    /// - Parameters:
    ///   - prune: Also delete remote-tracking references that no longer exist on the remote.
    ///   - security: How an HTTPS remote's certificate is verified, as for a push.
    public func fetch(
        remote name: String,
        refspecs: [String],
        credentials: Credentials?,
        prune: Bool = false,
        security: TransportSecurity = .systemTrust
    ) throws(GitError) {
        let operation = "fetch from \(name)"
        try transfer(
            remote: name,
            operation: operation,
            refspecs: refspecs,
            credentials: credentials,
            security: security
        ) { (remote, session, array) throws(GitError) in
            var options = git_fetch_options()
            try git(operation) { git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)) }
            session.install(into: &options.callbacks)
            options.proxy_opts.type = GIT_PROXY_AUTO
            options.prune = prune ? GIT_FETCH_PRUNE : GIT_FETCH_PRUNE_UNSPECIFIED
            try git(operation) { git_remote_fetch(remote, &array, &options, nil) }
        }
    }

    /// Looks up a remote and lends `body` a session (credentials offered once, the certificate policy, rejected
    /// references recorded) and the refspecs as a C array; a libgit2 failure is explained by the session
    /// (authentication, certificate).
    ///
    /// Returns the session, for what the server said about each reference.
    @discardableResult
    private func transfer(
        remote name: String,
        operation: String,
        refspecs: [String],
        credentials: Credentials?,
        security: TransportSecurity,
        _ body: (OpaquePointer?, RemoteSession, inout git_strarray) throws(GitError) -> Void
    ) throws(GitError) -> RemoteSession {
        _ = sigpipeIgnored
        SystemCertificates.load()
        var remote: OpaquePointer?
        try git(operation) { git_remote_lookup(&remote, pointer, name) }
        defer { git_remote_free(remote) }
        let session = RemoteSession(
            credentials: credentials,
            remoteURL: git_remote_url(remote).map { String(cString: $0) },
            security: security
        )
        try withExtendedLifetime(session) { () throws(GitError) in
            try withStringArray(refspecs) { (array) throws(GitError) -> Void in
                do throws(GitError) {
                    try body(remote, session, &array)
                } catch {
                    throw session.explain(error)
                }
            }
        }
        return session
    }
}

/// Ignores SIGPIPE once per process: libgit2 1.5 writes to sockets without `MSG_NOSIGNAL`, so a server that
/// closes the connection mid-push would otherwise kill the process.
private let sigpipeIgnored: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()
