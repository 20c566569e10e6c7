import Foundation
import Synchronization

/// Who each Gitea token belongs to, learnt once and shared by the jobs one process serves in turn (a `watch` round).
///
/// The answer of `GET /user` depends on the server and the token only, not on the job, so a round over N jobs that
/// share them asks once instead of N times. The tokens are keys in memory only, never written or shown.
public final class GiteaAccounts: Sendable {
    private let logins = Mutex<[String: String]>([:])

    /// Creates an empty set of accounts.
    public init() {}

    /// The login the token belongs to on the server, if an earlier job of this process asked.
    func login(server: URL, token: String) -> String? {
        let key = Self.key(server, token)
        return logins.withLock { $0[key] }
    }

    /// Records the login Gitea named for the token on the server.
    func remember(_ login: String, server: URL, token: String) {
        let key = Self.key(server, token)
        logins.withLock { $0[key] = login }
    }

    private static func key(_ server: URL, _ token: String) -> String {
        server.absoluteString.lowercased() + "\u{0}" + token
    }
}
