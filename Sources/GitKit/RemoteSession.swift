internal import CGit2
import Foundation

/// The state of one push or fetch, handed to libgit2's callbacks as their payload.
///
/// It answers credential requests (once: libgit2 1.5 would replay refused credentials 15 times) and collects the
/// references the remote rejected during a push. Lives only for the duration of one network call.
final class RemoteSession {
    private let credentials: Credentials?
    /// The host of the remote's URL; credentials go to this host only.
    private let expectedHost: String?
    private var credentialRequests = 0
    /// Rejected references and the remote's reason, filled during a push.
    private(set) var rejectedReferences: [String: String] = [:]

    init(credentials: Credentials?, remoteURL: String?) {
        self.credentials = credentials
        self.expectedHost = remoteURL.flatMap { URL(string: $0)?.host?.lowercased() }
    }

    /// Points a callbacks struct at this session, which must outlive the call that uses them.
    func install(into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, _, allowedTypes, payload in
            guard let out, let payload else { return GIT_EUSER.rawValue }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.provideCredential(out, url: url.map { String(cString: $0) }, allowedTypes: allowedTypes)
        }
        callbacks.push_update_reference = { reference, status, payload in
            guard let payload, let reference, let status else { return 0 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            session.rejectedReferences[String(cString: reference)] = String(cString: status)
            return 0
        }
    }

    /// Answers libgit2's request for credentials, failing with `GIT_EAUTH` and a clear message when it cannot.
    private func provideCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, url: String?, allowedTypes: UInt32
    ) -> Int32 {
        credentialRequests += 1
        let host = url.flatMap { URL(string: $0)?.host?.lowercased() }
        guard let credentials else {
            return fail("authentication required by \(host ?? "the remote") but no credentials were given")
        }
        guard credentialRequests == 1 else {
            return fail("authentication failed for \(host ?? "the remote"): the credentials were refused")
        }
        guard host == expectedHost else {
            return fail(
                "refusing to send credentials to \(host ?? "an unknown host") (remote is \(expectedHost ?? "?"))")
        }
        guard allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else {
            return fail("the remote does not accept a user name and password")
        }
        return git_credential_userpass_plaintext_new(out, credentials.username, credentials.password)
    }

    /// Records `message` as libgit2's current error and returns `GIT_EAUTH`.
    private func fail(_ message: String) -> Int32 {
        _ = git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), message)
        return GIT_EAUTH.rawValue
    }
}

@available(*, unavailable)
extension RemoteSession: Sendable {}
